/** Prometheus metrics for operators: stacks per state (read from the store at scrape time) and the process. */
import type { FastifyPluginAsync } from 'fastify';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { AppContext } from '../../app/context.ts';
import { STATES } from '../../domain/states.ts';
import { requireServiceToken } from '../service-auth.ts';

export function metricsRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'stacklab_' });
    new Gauge({
      name: 'stacklab_stacks',
      help: 'Stacks in each lifecycle state',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const counts = await ctx.stacks.store.countByState();
        for (const state of STATES) this.set({ state }, counts[state] ?? 0);
      },
    });
    app.get('/metrics', { schema: { hide: true }, preHandler: requireServiceToken(ctx.config.api_token) }, async (_request, reply) => {
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    });
  };
}
