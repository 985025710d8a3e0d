/**
 * HTTP request latency, labelled by the route's pattern (/api/v1/stacks/:id, never the raw URL, so the
 * series stay few), method and status. Requests no route matched share the route label "unmatched".
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { histogram } from '../infra/metrics.ts';

export function measureRequests(app: FastifyInstance, registry: Registry): void {
  const latency = histogram(registry, {
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route pattern, method and status code',
    labelNames: ['route', 'method', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    latency.observe({ route, method: request.method, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
}
