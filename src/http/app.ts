/**
 * The fastify app factory, separate from `listen` so tests use `inject`. Route plugins register here;
 * every error leaves as `{code, message, detail?}` from the catalogue in src/errors/api-errors.ts.
 */
import fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { AppContext } from '../app/context.ts';
import { AppError } from '../errors/api-errors.ts';
import { healthRoutes } from './routes/health.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { labRoutes } from './routes/labs.ts';
import { stackRoutes } from './routes/stacks.ts';
import { checkRoutes } from './routes/checks.ts';
import { ltiRoutes } from './routes/lti.ts';
import { learnerRoutes } from './routes/learner-plugin.ts';

export async function buildApp(ctx: AppContext): Promise<FastifyInstance> {
  const app = fastify({
    // Per-request lines at info would drown the lifecycle log; errors and warnings still show.
    loggerInstance: ctx.logger.child({ component: 'http' }, { level: ctx.logger.level === 'silent' ? 'silent' : 'warn' }) as FastifyBaseLogger,
    trustProxy: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array' } },
  });
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof AppError) {
      // The log gets the detail (ids, states); the client gets only the code, the sentence and any client-safe detail.
      const line = { code: error.code, status: error.status, detail: error.detail, ...(error.cause ? { err: error.cause } : {}) };
      if (error.status >= 500) request.log.error(line, 'request failed');
      else if (error.status === 401 || error.status === 404) request.log.info(line, 'request refused');
      else request.log.warn(line, 'request refused');
      return reply.status(error.status).send(error.toJSON());
    }
    const fe = error as { validation?: unknown; statusCode?: number; message: string };
    if (fe.validation) return reply.status(400).send({ code: 'BAD_REQUEST', message: 'The request is not valid.', detail: fe.message });
    if (fe.statusCode && fe.statusCode < 500) return reply.status(fe.statusCode).send({ code: 'BAD_REQUEST', message: fe.message });
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send(new AppError('INTERNAL').toJSON());
  });
  app.setNotFoundHandler((request, reply) => reply.status(404).send({ code: 'NOT_FOUND', message: 'Not found.', detail: `${request.method} ${request.url}` }));
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
  await app.register(stackRoutes(ctx), { prefix: '/api/v1' });
  await app.register(checkRoutes(ctx));
  await app.register(ltiRoutes(ctx));
  await app.register(learnerRoutes(ctx));
  return app;
}
