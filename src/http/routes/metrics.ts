/** Prometheus metrics for operators: stacks per state (read from the store at scrape time) and the process. */
import type { FastifyPluginAsync } from 'fastify';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { AppContext } from '../../app/context.ts';
import { STATES } from '../../domain/states.ts';
import { requireToken } from '../service-auth.ts';

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
    const ledger = ctx.stacks.activityLedger;
    new Counter({
      name: 'stacklab_keepalives_total',
      help: 'Keepalives by how they were answered: from the cache (written behind) or after their write',
      labelNames: ['answered'],
      registers: [registry],
      collect() {
        this.reset();
        this.inc({ answered: 'from_cache' }, ledger.counts.fromCache);
        this.inc({ answered: 'after_write' }, ledger.counts.waited);
      },
    });
    new Counter({
      name: 'stacklab_activity_writes_total',
      help: 'Statements that wrote keepalive activity (many keepalives share one)',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(ledger.counts.writes);
      },
    });
    new Gauge({
      name: 'stacklab_keepalives_unwritten',
      help: 'Keepalives answered from the cache and not yet written',
      registers: [registry],
      collect() {
        this.set(ledger.unwritten);
      },
    });
    new Gauge({
      name: 'stacklab_ready_stack_cache_size',
      help: 'READY stacks held for answering keepalives; 0 while the change notifications are not heard',
      registers: [registry],
      collect() {
        this.set(ctx.stacks.readyCache.size);
      },
    });
    new Counter({
      name: 'stacklab_lti_launch_bindings_total',
      help: "LTI launches by what tied them to the browser that logged in: cookie, storage (the platform's postMessage storage), none (accepted unproven), refused",
      labelNames: ['evidence'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [evidence, count] of Object.entries(ctx.lti.bindings)) this.inc({ evidence }, count);
      },
    });
    app.get('/metrics', { schema: { hide: true }, onRequest: requireToken(ctx.config, 'metrics') }, async (_request, reply) => {
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    });
  };
}
