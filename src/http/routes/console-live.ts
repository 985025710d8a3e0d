/**
 * The console's overview (providers, labs, counts) and its live counts as Server-Sent Events, under an
 * operator's session (docs/console.md). A stream sends the counts at once, then again whenever they
 * change: checked after every transition in this process (debounced) and every LIVE_POLL_MS for the
 * changes other processes make. It ends with a `signed-out` event when the session does.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import { labPanels, liveCounts, providerPanels } from '../../services/console-overview.ts';
import { consoleToken, requireOperator } from '../console-auth.ts';

export const LIVE_POLL_MS = 2000;
const DEBOUNCE_MS = 150;

export function consoleLive(ctx: AppContext) {
  return async function consoleLivePlugin(app: FastifyInstance): Promise<void> {
    app.addHook('onRequest', requireOperator(ctx));
    // One listener for every open stream (not one each, which would trip the emitter's leak warning).
    const streams = new Map<() => void, () => void>();
    const changed = () => streams.forEach((_stop, soon) => soon());
    ctx.events.on('stack.transition', changed);
    app.addHook('onClose', async () => {
      ctx.events.off('stack.transition', changed);
      for (const stop of [...streams.values()]) stop();
    });

    app.get('/console/api/overview', { schema: { hide: true } }, async (_request, reply) => {
      const [providers, byState] = await Promise.all([providerPanels(ctx), ctx.stacks.store.countByState()]);
      return reply.header('cache-control', 'no-store').send({ providers, labs: labPanels(ctx), counts: liveCounts(byState) });
    });

    app.get('/console/api/live', { schema: { hide: true } }, async (request, reply) => {
      const token = consoleToken(request, ctx.config) ?? '';
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      let last = '';
      let closed = false;
      let timer: NodeJS.Timeout | undefined;
      const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      const check = async () => {
        if (closed) return;
        try {
          if (!(await ctx.operators.operatorFor(token))) {
            send('signed-out', {});
            return stop();
          }
          const counts = JSON.stringify(liveCounts(await ctx.stacks.store.countByState()));
          if (counts !== last && !closed) {
            last = counts;
            res.write(`event: counts\ndata: ${counts}\n\n`);
          }
        } catch (error) {
          request.log.warn({ err: error }, 'console live counts failed; trying again');
        }
      };
      const soon = () => {
        clearTimeout(timer);
        timer = setTimeout(() => void check(), DEBOUNCE_MS);
      };
      const poll = setInterval(() => void check(), LIVE_POLL_MS);
      const stop = () => {
        if (closed) return;
        closed = true;
        clearInterval(poll);
        clearTimeout(timer);
        streams.delete(soon);
        res.end();
      };
      streams.set(soon, stop);
      res.on('close', stop);
      await check();
    });
  };
}
