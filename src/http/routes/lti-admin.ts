/**
 * Admin API under /api/v1/lti (service bearer token): platform registrations, the tool's keys and the
 * grade outbox. Platforms that come from the config file are read-only here.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import { AppError } from '../../errors/api-errors.ts';
import { requireToken } from '../service-auth.ts';
// 409 answers use INVALID_STATE with their own message until the catalogue has a CONFLICT code.
import type { OutboxStatus } from '../../lti/grade-outbox.ts';
import type { LtiModule } from '../../lti/lti-module.ts';
import { platformInputSchema, PlatformConflictError, type Platform } from '../../lti/platforms.ts';

function view(p: Platform) {
  return {
    name: p.name,
    issuer: p.issuer,
    client_id: p.client_id,
    deployment_ids: p.deployment_ids,
    auth_login_url: p.auth_login_url,
    token_url: p.token_url,
    jwks_url: p.jwks_url,
    source: p.source,
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
  };
}

function parseInput(body: unknown, name?: string) {
  const parsed = platformInputSchema.safeParse(name ? { ...(body as object), name } : body);
  if (!parsed.success) throw AppError.badInput(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return parsed.data;
}

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof PlatformConflictError) throw new AppError('INVALID_STATE', error.message, { message: error.message });
    throw error;
  }
}

export function ltiAdminRoutes(ctx: AppContext, lti: LtiModule): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', requireToken(ctx.config, 'admin'));
    const tags = ['lti'];

    app.get('/platforms', { schema: { tags, summary: 'List LTI platform registrations' } }, async () => ({ platforms: (await lti.platforms.list()).map(view) }));

    app.get<{ Params: { name: string } }>('/platforms/:name', { schema: { tags, summary: 'One LTI platform registration' } }, async (request) => {
      const platform = await lti.platforms.get(request.params.name);
      if (!platform) throw new AppError('NOT_FOUND', `no LTI platform ${request.params.name}`);
      return view(platform);
    });

    app.post('/platforms', { schema: { tags, summary: 'Register an LTI platform' } }, async (request, reply) => {
      const input = parseInput(request.body);
      if (await lti.platforms.get(input.name)) {
        const message = `Platform ${input.name} is already registered; PUT /api/v1/lti/platforms/${input.name} replaces it.`;
        throw new AppError('INVALID_STATE', message, { message });
      }
      const platform = await guard(() => lti.platforms.put(input, 'api'));
      return reply.status(201).send(view(platform));
    });

    app.put<{ Params: { name: string } }>('/platforms/:name', { schema: { tags, summary: 'Create or replace an LTI platform registration' } }, async (request) => {
      const input = parseInput(request.body, request.params.name);
      return view(await guard(() => lti.platforms.put(input, 'api')));
    });

    app.delete<{ Params: { name: string } }>('/platforms/:name', { schema: { tags, summary: 'Remove an LTI platform registration' } }, async (request, reply) => {
      const removed = await guard(() => lti.platforms.remove(request.params.name));
      if (!removed) throw new AppError('NOT_FOUND', `no LTI platform ${request.params.name}`);
      return reply.status(204).send();
    });

    app.get('/keys', { schema: { tags, summary: "The tool's signing keys and their rotation status" } }, async () => ({ keys: await lti.toolKeys.list() }));

    app.post<{ Body: { publish_lead_seconds?: number; keep_seconds?: number } | undefined }>(
      '/keys/rotate',
      {
        schema: {
          tags,
          summary: 'Publish a new signing key (it signs after the lead time; old keys stay published for a while)',
          body: {
            type: ['object', 'null'],
            additionalProperties: false,
            properties: {
              publish_lead_seconds: { type: 'integer', minimum: 0, maximum: 365 * 86400 },
              keep_seconds: { type: 'integer', minimum: 0, maximum: 365 * 86400 },
            },
          },
        },
      },
      async (request) => {
        const body = request.body ?? {};
        const kid = await lti.toolKeys.rotate({
          publishLeadSeconds: Number(body.publish_lead_seconds ?? 24 * 3600),
          keepSeconds: Number(body.keep_seconds ?? 7 * 24 * 3600),
        });
        return { kid, keys: await lti.toolKeys.list() };
      },
    );

    app.get<{ Querystring: { learner?: string; status?: OutboxStatus } }>('/grades', { schema: { tags, summary: 'Grades queued for or sent to platforms' } }, async (request) => ({
      grades: (await lti.outbox.list({ learner: request.query.learner, status: request.query.status })).map((r) => ({
        attempt_id: r.attempt_id,
        learner: r.learner,
        context: r.context,
        lab: r.lab,
        platform: r.platform,
        score: r.score,
        sent_score: r.sent_score,
        status: r.status,
        attempts: r.attempts,
        last_error: r.last_error,
        next_attempt_at: r.next_attempt_at,
      })),
    }));
  };
}
