/**
 * /metrics alone, for `stacklab worker`: a standalone worker finishes operations, so its registry holds
 * their durations and failures, and Prometheus must be able to scrape it (setting worker_metrics_port).
 */
import fastify from 'fastify';
import type { AppContext } from '../app/context.ts';
import { handleError } from './error-handler.ts';
import { metricsRoutes } from './routes/metrics.ts';

/** Listens on host:port; returns the function that stops it. */
export async function serveMetrics(ctx: AppContext, host: string, port: number): Promise<{ port: number; close: () => Promise<void> }> {
  const app = fastify({ logger: false });
  app.setErrorHandler(handleError);
  await app.register(metricsRoutes(ctx));
  await app.listen({ host, port });
  const address = app.server.address();
  return { port: typeof address === 'object' && address ? address.port : port, close: () => app.close() };
}
