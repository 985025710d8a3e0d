import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app/context.ts';

/** Liveness says the process answers; readiness says the store answers and which providers exist. */
export function healthRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
    app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
      try {
        await ctx.db.query('SELECT 1');
      } catch (error) {
        return reply.status(503).send({ status: 'unavailable', detail: `store: ${(error as Error).message}` });
      }
      return { status: 'ready', store: ctx.db.kind, providers: ctx.providers.list().map((p) => ({ name: p.name, kind: p.kind })), labs: ctx.labs.list().length, notices: ctx.notices };
    });
  };
}
