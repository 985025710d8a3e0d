/**
 * Prometheus metrics for operators (docs/operations.md, "Monitoring"): the process's registry (operation
 * durations and failures, HTTP latency, gateway sessions, process metrics) plus gauges read at scrape time:
 * stacks per state and the LTI grade outbox's backlog, from the store, and the keepalive and LTI counters.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import { STATES } from '../../domain/states.ts';
import { counter, gauge } from '../../infra/metrics.ts';
import { requireToken } from '../service-auth.ts';

export function metricsRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const registry = ctx.metrics;
    gauge(registry, {
      name: 'stacklab_stacks',
      help: 'Stacks in each lifecycle state',
      labelNames: ['state'],
      async collect() {
        const counts = await ctx.stacks.store.countByState();
        for (const state of STATES) this.set({ state }, counts[state] ?? 0);
      },
    });
    const ledger = ctx.stacks.activityLedger;
    counter(registry, {
      name: 'stacklab_keepalives_total',
      help: 'Keepalives by how they were answered: from the cache (written behind) or after their write',
      labelNames: ['answered'],
      collect() {
        this.reset();
        this.inc({ answered: 'from_cache' }, ledger.counts.fromCache);
        this.inc({ answered: 'after_write' }, ledger.counts.waited);
      },
    });
    counter(registry, {
      name: 'stacklab_activity_writes_total',
      help: 'Statements that wrote keepalive activity (many keepalives share one)',
      collect() {
        this.reset();
        this.inc(ledger.counts.writes);
      },
    });
    gauge(registry, {
      name: 'stacklab_keepalives_unwritten',
      help: 'Keepalives answered from the cache and not yet written',
      collect() {
        this.set(ledger.unwritten);
      },
    });
    gauge(registry, {
      name: 'stacklab_ready_stack_cache_size',
      help: 'READY stacks held for answering keepalives; 0 while the change notifications are not heard',
      collect() {
        this.set(ctx.stacks.readyCache.size);
      },
    });
    counter(registry, {
      name: 'stacklab_lti_launch_bindings_total',
      help: "LTI launches by what tied them to the browser that logged in: cookie, storage (the platform's postMessage storage), none (accepted unproven), refused",
      labelNames: ['evidence'],
      collect() {
        this.reset();
        for (const [evidence, count] of Object.entries(ctx.lti.bindings)) this.inc({ evidence }, count);
      },
    });
    gauge(registry, {
      name: 'stacklab_lti_grade_outbox_pending',
      help: 'LTI grades queued and not yet at their platform',
      async collect() {
        this.set((await ctx.lti.outbox.backlog()).pending);
      },
    });
    gauge(registry, {
      name: 'stacklab_lti_grade_outbox_oldest_pending_seconds',
      help: 'Age of the oldest LTI grade not yet at its platform (0 when none waits)',
      async collect() {
        this.set((await ctx.lti.outbox.backlog()).oldestSeconds);
      },
    });
    app.get('/metrics', { schema: { hide: true }, onRequest: requireToken(ctx.config, 'metrics') }, async (_request, reply) => {
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    });
  };
}
