import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import { requireToken } from '../service-auth.ts';

/** The labs' warm pools (docs/pools.md): size, state and what each holds now. */
export function poolRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', requireToken(ctx.config, 'service'));
    app.get('/pools', { schema: { tags: ['labs'], summary: 'List the warm pools and what they hold' } }, async () => ({ pools: await ctx.pools.list() }));
  };
}
