/** `stacklab pools list`: the warm pools (docs/pools.md), through a running server or on the store directly. */
import { Command } from 'commander';
import type { PoolView } from '../services/warm-pools.ts';
import { formatOf, render, table, withFormat } from './output.ts';
import { runtimeFromCommand, storeRoute } from './runtime-from-cli.ts';

export function poolsCommand(): Command {
  const pools = new Command('pools')
    .description("The labs' warm pools: stacks launched ahead that a learner's first launch takes (docs/pools.md)")
    .option('--url <url>', 'a running stacklab server to ask (also STACKLAB_URL)')
    .option('--token <token>', "the server's API token (also STACKLAB_API_TOKEN)");
  withFormat(pools.command('list').description('List each pool: its size, state, and the stacks ready, filling and being replaced')).action(
    async (opts: { json?: boolean; format?: string }, command: Command) => {
      const route = storeRoute(command, pools.opts() as { url?: string; token?: string });
      let value: { pools: PoolView[] };
      if (route.kind === 'api') value = await route.client.request<{ pools: PoolView[] }>('GET', '/pools');
      else {
        const rt = await runtimeFromCommand(command, { worker: false });
        try {
          value = { pools: await rt.ctx.pools.list() };
        } finally {
          await rt.close();
        }
      }
      console.log(await render(value, formatOf(opts), () => table(value.pools, [
        { header: 'LAB', value: (p) => p.lab },
        { header: 'RUN', value: (p) => p.run || '(any)' },
        { header: 'SIZE', value: (p) => String(p.size) },
        { header: 'STATE', value: (p) => p.state },
        { header: 'READY', value: (p) => String(p.ready) },
        { header: 'FILLING', value: (p) => String(p.filling) },
        { header: 'REPLACING', value: (p) => String(p.stale) },
      ])));
    },
  );
  return pools;
}
