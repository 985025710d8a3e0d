/**
 * The fastify app factory, separate from `listen` so tests use `inject`. Route plugins register here;
 * every error leaves as `{code, message, detail?}` from the catalogue in src/errors/api-errors.ts.
 */
import fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { AppContext } from '../app/context.ts';
import { frameworkErrors, handleError, refuseNul } from './error-handler.ts';
import { healthRoutes } from './routes/health.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { labRoutes } from './routes/labs.ts';
import { poolRoutes } from './routes/pools.ts';
import { scheduleRoutes } from './routes/schedules.ts';
import { courseOpenRoutes } from './routes/course-opens.ts';
import { stackRoutes } from './routes/stacks.ts';
import { checkRoutes } from './routes/checks.ts';
import { ltiRoutes } from './routes/lti.ts';
import { learnerRoutes } from './routes/learner-plugin.ts';
import { consoleRoutes } from './routes/console-page.ts';
import { usageRoutes } from './routes/usage.ts';
import { measureRequests } from './request-metrics.ts';
import { documentErrors } from './error-responses.ts';

/** Every route as registered (method and URL), for the tests that send bad input to all of them. */
export interface RouteEntry {
  method: string;
  url: string;
  websocket: boolean;
}
const ROUTES = Symbol('stacklab.routes');

export function registeredRoutes(app: FastifyInstance): RouteEntry[] {
  return (app as unknown as { [ROUTES]: RouteEntry[] })[ROUTES];
}

export async function buildApp(ctx: AppContext): Promise<FastifyInstance> {
  const { config } = ctx;
  const app = fastify({
    // Per-request lines at info would drown the lifecycle log; errors and warnings still show.
    loggerInstance: ctx.logger.child({ component: 'http' }, { level: ctx.logger.level === 'silent' ? 'silent' : 'warn' }) as FastifyBaseLogger,
    // Forwarded headers choose the client address, protocol and host the server builds URLs from:
    // trusted only when the operator says a proxy sets them.
    trustProxy: config.trust_proxy,
    bodyLimit: config.body_limit,
    requestTimeout: config.request_timeout * 1000,
    // Node looks for requests past requestTimeout only every connectionsCheckingInterval (30 s by
    // default), so a slow client held a connection up to 30 s past the setting: look every second.
    http: { connectionsCheckingInterval: 1000 },
    keepAliveTimeout: config.keep_alive_timeout * 1000,
    connectionTimeout: config.connection_timeout * 1000,
    frameworkErrors,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array' } },
  });
  const routes: RouteEntry[] = [];
  (app as unknown as { [ROUTES]: RouteEntry[] })[ROUTES] = routes;
  app.addHook('onRoute', (route) => {
    documentErrors(route);
    for (const method of ([] as string[]).concat(route.method)) routes.push({ method, url: route.url, websocket: Boolean((route as { websocket?: boolean }).websocket) });
  });
  measureRequests(app, ctx.metrics);
  app.setErrorHandler(handleError);
  app.addHook('preValidation', refuseNul);
  app.setNotFoundHandler((request, reply) => reply.status(404).send({ code: 'NOT_FOUND', message: 'Not found.', detail: `${request.method} ${request.url.split('?')[0].slice(0, 200)}` }));
  await app.register(swagger, {
    openapi: {
      info: { title: 'stacklab API', version: '1', description: 'Lab environments on demand: launch, status, keepalive, suspend, resume, reset, delete.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(websocket, { options: { maxPayload: 1024 * 1024 } });
  await app.register(healthRoutes(ctx));
  await app.register(metricsRoutes(ctx));
  await app.register(labRoutes(ctx), { prefix: '/api/v1' });
  await app.register(poolRoutes(ctx), { prefix: '/api/v1' });
  await app.register(scheduleRoutes(ctx), { prefix: '/api/v1' });
  await app.register(courseOpenRoutes(ctx), { prefix: '/api/v1' });
  await app.register(stackRoutes(ctx), { prefix: '/api/v1' });
  await app.register(checkRoutes(ctx));
  await app.register(ltiRoutes(ctx));
  await app.register(learnerRoutes(ctx));
  await app.register(consoleRoutes(ctx));
  await app.register(usageRoutes(ctx));
  return app;
}
