/**
 * The LTI 1.3 tool's endpoints:
 *   GET|POST /lti/login          OIDC third-party initiated login -> state cookie, and redirect to the platform
 *                                (through the postMessage storage page when the platform offers lti_storage_target)
 *   POST     /lti/launch         id_token form_post -> browser check (src/http/lti-browser-binding.ts) ->
 *                                learner page (resource link) or lab picker (deep linking)
 *   POST     /lti/deep-link      the picker's choice -> signed LtiDeepLinkingResponse posted to the platform
 *   GET      /.well-known/jwks.json, /lti/jwks   the tool's public keys
 *   GET      /lti/config         the URLs an LMS administrator types in
 * plus the admin API in src/http/routes/lti-admin.ts. Browser-facing answers are HTML (they show inside the LMS iframe).
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import { MESSAGE_TYPE } from '../../lti/claims.ts';
import { contentItem, deepLinkingResponse, openPickerRequest, sealPickerRequest, spendPickerToken } from '../../lti/deep-linking.ts';
import { AUTO_POST_SCRIPT, autoPostPage, errorPage, pickerPage } from '../../lti/html.ts';
import { frameAncestors, ltiPageCsp } from '../frame-policy.ts';
import { courseRun, isInstructorRole, learnerId, sessionRoles } from '../../lti/identity.ts';
import type { LtiModule } from '../../lti/lti-module.ts';
import { launchLocale } from '../../lti/launch-locale.ts';
import { LtiError } from '../../lti/lti-error.ts';
import { verifyLaunch, type VerifiedLaunch } from '../../lti/verify-launch.ts';
import { answerLogin, checkLaunchBinding } from '../lti-browser-binding.ts';
import { pageLanguage } from '../request-locale.ts';
import { issueSession } from '../session.ts';
import { ltiAdminRoutes } from './lti-admin.ts';
import { sentence } from '../../errors/sentence.ts';

type Form = Record<string, string | undefined>;

const FORM = 'application/x-www-form-urlencoded';

/** The tool's URLs, from public_url when set (behind a proxy), else from the request's own host. */
export function toolUrls(ctx: AppContext, request: FastifyRequest) {
  const base = (ctx.config.public_url ?? `${request.protocol}://${request.host}`).replace(/\/$/, '');
  return {
    base,
    login: `${base}/lti/login`,
    launch: `${base}/lti/launch`,
    deepLinking: `${base}/lti/launch`,
    jwks: `${base}/.well-known/jwks.json`,
  };
}

export function ltiRoutes(ctx: AppContext, options: { lti?: LtiModule } = {}): FastifyPluginAsync {
  return async (app) => {
    const lti = options.lti ?? ctx.lti;
    // Only what launches need; grades are queued by the composition root and sent by the jobs (src/jobs/lti-jobs.ts).
    app.addHook('onReady', () => lti.prepare());
    if (!app.hasContentTypeParser(FORM)) {
      app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 256 * 1024 }, (_request, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(body as string)));
      });
    }
    app.setErrorHandler(async (error, request, reply) => {
      if (error instanceof LtiError) {
        request.log.warn({ reason: error.reason, detail: error.detail }, `lti: refused: ${error.detail ?? error.message}`);
        const csp = ltiPageCsp(await frameAncestors(ctx).catch(() => "'self'"));
        return reply.status(error.status).header('content-security-policy', csp).type('text/html; charset=utf-8').send(errorPage(pageLanguage(ctx.config, request, [error.locale]), error.said, error.reason));
      }
      throw error;
    });

    const login = async (request: FastifyRequest, reply: FastifyReply) => {
      const params: Form = { ...(request.query as Form), ...((request.body as Form | undefined) ?? {}) };
      const { iss, login_hint: loginHint, target_link_uri: target } = params;
      if (!iss || !loginHint || !target) {
        throw new LtiError('bad_request', sentence('lti.refusal.loginOutsideCourse'), 'login without iss, login_hint or target_link_uri');
      }
      const platform = await lti.platforms.find(iss, params.client_id);
      if (!platform) {
        throw new LtiError('platform_unknown', sentence('lti.refusal.platformUnknown'), `no registration for issuer ${iss} client_id ${params.client_id ?? '(none)'}`);
      }
      if (params.lti_deployment_id && !platform.deployment_ids.includes(params.lti_deployment_id)) {
        throw new LtiError('deployment_unknown', sentence('lti.refusal.deploymentUnknown'), `deployment ${params.lti_deployment_id} is not registered for ${platform.name}`);
      }
      const state = await lti.states.issue(platform.name, target);
      const url = new URL(platform.auth_login_url);
      const urls = toolUrls(ctx, request);
      const query: Record<string, string> = {
        scope: 'openid',
        response_type: 'id_token',
        response_mode: 'form_post',
        prompt: 'none',
        client_id: platform.client_id,
        redirect_uri: urls.launch,
        login_hint: loginHint,
        state: state.state,
        nonce: state.nonce,
        ...(params.lti_message_hint ? { lti_message_hint: params.lti_message_hint } : {}),
      };
      for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
      return answerLogin(ctx, lti, reply, { base: urls.base, platform, state: state.state, authUrl: url.toString(), storageTarget: params.lti_storage_target });
    };
    app.get('/lti/login', { schema: { hide: true } }, login);
    app.post('/lti/login', { schema: { hide: true } }, login);

    app.post('/lti/launch', { schema: { hide: true } }, async (request, reply) => {
      const form = (request.body ?? {}) as Form;
      // Is this the browser that logged in? Checked before the state is spent, so the storage page can post again.
      const binding = typeof form.state === 'string' && typeof form.id_token === 'string' ? await checkLaunchBinding(ctx, lti, request, reply, form, toolUrls(ctx, request).base) : undefined;
      if (binding && 'answered' in binding) return reply;
      const launch = await verifyLaunch({ platforms: lti.platforms, states: lti.states, jwks: lti.jwks, clock: ctx.clock, skewSeconds: lti.skewSeconds }, form);
      if (binding) {
        lti.bindings[binding.evidence]++;
        reply.header('set-cookie', binding.clearCookie);
        if (binding.evidence === 'none') {
          request.log.warn(
            { platform: launch.platform.name, learner: learnerId(launch.platform.issuer, launch.sub), binding: 'none', why: binding.why },
            `lti: launch accepted without proof that it comes from the browser that logged in (${binding.why}); set lti.browser_binding: required to refuse these`,
          );
        }
      }
      if (launch.messageType === MESSAGE_TYPE.deepLinkingRequest) return showPicker(app, ctx, lti, launch, request, reply);
      return openLab(ctx, lti, launch, reply);
    });

    app.post('/lti/deep-link', { schema: { hide: true } }, async (request, reply) => {
      const form = (request.body ?? {}) as Record<string, string | string[] | undefined>;
      const picked = await openPickerRequest(ctx.keys, ctx.clock, typeof form.request === 'string' ? form.request : '');
      const chosen = ([] as unknown[]).concat(form.lab ?? []).filter((id): id is string => typeof id === 'string');
      const labs = chosen.map((id) => ctx.labs.get(id)).filter((lab) => lab !== undefined);
      // The pages after the picker speak its language: the launch's, carried in the signed request.
      if (!labs.length) throw new LtiError('lab_missing', sentence('lti.refusal.chooseLab'), `deep-link answer names no known lab (${chosen.join(', ')})`, { locale: picked.locale });
      // Spent only once the choice is valid, so "choose a lab first" leaves the page usable.
      await spendPickerToken(ctx.db, picked);
      const items = (picked.acceptMultiple ? labs : labs.slice(0, 1)).map((lab) => contentItem(lab, toolUrls(ctx, request).launch));
      const jwt = await deepLinkingResponse(lti.toolKeys, ctx.clock, picked, items);
      request.log.info({ platform: picked.platform, labs: labs.map((l) => l.id) }, 'lti: deep-linking answer sent');
      const csp = ltiPageCsp(await frameAncestors(ctx), { scripts: [AUTO_POST_SCRIPT], formTarget: picked.returnUrl });
      return reply.header('content-security-policy', csp).type('text/html; charset=utf-8').send(autoPostPage(pageLanguage(ctx.config, request, [picked.locale]), picked.returnUrl, { JWT: jwt }, 'lti.addingLab'));
    });

    const jwks = async (_request: FastifyRequest, reply: FastifyReply) => {
      reply.header('cache-control', 'public, max-age=300');
      return lti.toolKeys.jwks();
    };
    app.get('/.well-known/jwks.json', { schema: { tags: ['lti'], summary: "The tool's public keys (JWKS)", security: [] } }, jwks);
    app.get('/lti/jwks', { schema: { hide: true } }, jwks);
    app.get('/lti/config', { schema: { tags: ['lti'], summary: 'The URLs to register stacklab in an LMS', security: [] } }, async (request) => {
      const urls = toolUrls(ctx, request);
      return {
        login_url: urls.login,
        launch_url: urls.launch,
        redirect_uris: [urls.launch],
        deep_linking_url: urls.deepLinking,
        jwks_url: urls.jwks,
        custom_parameters: 'lab=<lab id>',
      };
    });

    await app.register(ltiAdminRoutes(ctx, lti), { prefix: '/api/v1/lti' });
  };
}

async function openLab(ctx: AppContext, lti: LtiModule, launch: VerifiedLaunch, reply: FastifyReply) {
  const labId = launch.custom.lab;
  if (!labId) {
    throw new LtiError('lab_missing', sentence('lti.refusal.noLabParameter'), `launch from ${launch.platform.name} without custom lab`, { locale: launchLocale(launch) });
  }
  const lab = ctx.labs.get(labId);
  if (!lab) throw new LtiError('lab_missing', sentence('lti.refusal.labUnknown', { lab: labId }), `unknown lab ${labId}`, { locale: launchLocale(launch) });
  const context = launch.context?.id ?? `${launch.platform.name}:${launch.resourceLinkId}`;
  const learner = learnerId(launch.platform.issuer, launch.sub);
  await lti.launches.record({
    learner,
    context,
    lab: lab.id,
    platform: launch.platform.name,
    deploymentId: launch.deploymentId,
    sub: launch.sub,
    resourceLinkId: launch.resourceLinkId ?? null,
    lineitemUrl: launch.ags?.lineitem ?? null,
    lineitemsUrl: launch.ags?.lineitems ?? null,
    agsScopes: launch.ags?.scope ?? [],
    updatedAt: ctx.clock.now(),
    displayName: launch.name ?? null,
    staff: isInstructorRole(launch.roles),
  });
  // The stack is created here, not by the page, because only the launch knows the course run the
  // template gets as `run`; the page's own launch call then finds it (launch is idempotent).
  const run = launch.context ? courseRun(launch.context.id) : undefined;
  // The learner opened the course: their stacks of its other labs resume meanwhile (docs/pools.md, "Predictive resume").
  await Promise.all([
    ctx.stacks.launch({ learner, context, lab: lab.id, ...(run ? { run } : {}), actor: `lti:${launch.platform.name}` }).catch((error: Error) => {
      ctx.logger.warn({ err: error, learner, lab: lab.id }, `lti: the lab could not be launched yet; the page will try again: ${error.message}`);
    }),
    ctx.predictive.courseOpened({ learner, context, lab: lab.id }),
  ]);
  const session = await issueSession(
    ctx.keys,
    { learner, context, roles: sessionRoles(launch.roles), ...(launch.name ? { displayName: launch.name } : {}), lab: lab.id },
    ctx.config.session_ttl,
  );
  // The roles as sent, so an operator can check them against docs/lti.md's table.
  ctx.logger.info({ platform: launch.platform.name, learner, context, lab: lab.id, roles: launch.roles }, 'lti: launch accepted');
  // The platform's language for the learner travels to the page as ?lang= (docs/i18n.md); the page
  // falls back to the browser's languages when it is absent or one stacklab does not speak.
  const locale = launchLocale(launch);
  return reply.redirect(`/lab/${encodeURIComponent(lab.id)}${locale ? `?lang=${encodeURIComponent(locale)}` : ''}#session=${session}`, 302);
}

async function showPicker(_app: FastifyInstance, ctx: AppContext, _lti: LtiModule, launch: VerifiedLaunch, _request: FastifyRequest, reply: FastifyReply) {
  if (!isInstructorRole(launch.roles)) {
    throw new LtiError('forbidden', sentence('lti.refusal.staffOnly'), `deep-linking request from sub ${launch.sub} without an instructor role (roles: ${launch.roles.join(' ') || 'none'})`, {
      locale: launchLocale(launch),
    });
  }
  if (launch.deepLinking && launch.deepLinking.acceptTypes.length && !launch.deepLinking.acceptTypes.includes('ltiResourceLink')) {
    throw new LtiError('claims', sentence('lti.refusal.linkTypeRefused'), `accept_types ${launch.deepLinking.acceptTypes.join(',')} lacks ltiResourceLink`, { locale: launchLocale(launch) });
  }
  const token = await sealPickerRequest(ctx.keys, ctx.clock, launch);
  const labs = ctx.labs
    .list()
    .filter((lab) => !lab.hidden)
    .map((lab) => ({ id: lab.id, title: lab.title, description: lab.description }));
  return reply
    .header('content-security-policy', ltiPageCsp(await frameAncestors(ctx)))
    .type('text/html; charset=utf-8')
    .send(pickerPage(pageLanguage(ctx.config, _request, [launchLocale(launch)]), '/lti/deep-link', token, labs, launch.deepLinking?.acceptMultiple ?? false, ctx.labErrors.flatMap((e) => (e.waitingForProvider ? [e.waitingForProvider.title] : []))));
}
