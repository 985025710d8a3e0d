import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import { readiness } from './readiness.ts';

/**
 * Liveness says the process answers; readiness says whether it can serve labs and, when not, what is
 * wrong (readiness.ts): 503 when the store is down or nothing can launch, 200 otherwise.
 */
export function healthRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
    app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
      const ready = await readiness(ctx);
      return reply.status(ready.status === 'unavailable' ? 503 : 200).send(ready);
    });
  };
}
