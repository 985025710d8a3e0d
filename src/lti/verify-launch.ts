/**
 * Verifies the id_token of an LTI 1.3 launch (LTI Core 1.3 §5.1.3, OIDC Core §3.1.3.7): the state is
 * ours and unused, the signature verifies with the platform's published key, iss/aud/azp name the
 * registration, exp/iat hold within a small skew, the nonce is the one we sent and never seen before,
 * the deployment is registered, the version is 1.3.0 and the message type is one we handle.
 */
import { decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';
import { nulPath } from '../domain/nul-text.ts';
import type { Clock } from '../infra/clock.ts';
import { CLAIM, LTI_VERSION, MESSAGE_TYPE } from './claims.ts';
import { isWebUrl } from './deep-linking.ts';
import { LtiError } from './lti-error.ts';
import type { LoginStates } from './login-states.ts';
import { UnknownKeyError, type PlatformJwks } from './platform-jwks.ts';
import type { Platform, PlatformStore } from './platforms.ts';
import { sentence } from '../errors/sentence.ts';

export interface VerifiedLaunch {
  platform: Platform;
  messageType: (typeof MESSAGE_TYPE)['resourceLink'] | (typeof MESSAGE_TYPE)['deepLinkingRequest'];
  deploymentId: string;
  sub: string;
  roles: string[];
  name?: string;
  context?: { id: string; title?: string; label?: string };
  resourceLinkId?: string;
  custom: Record<string, string>;
  ags?: { scope: string[]; lineitem?: string; lineitems?: string };
  deepLinking?: { returnUrl: string; acceptTypes: string[]; acceptMultiple: boolean; data?: string; title?: string };
  claims: JWTPayload;
}

export interface LaunchVerifierDeps {
  platforms: PlatformStore;
  states: LoginStates;
  jwks: PlatformJwks;
  clock: Clock;
  /** Allowed clock difference with the platform, in seconds. */
  skewSeconds?: number;
}

const refuse = (reason: ConstructorParameters<typeof LtiError>[0], detail: string, cause?: unknown) =>
  new LtiError(reason, sentence('lti.refusal.notVerified'), detail, { cause });

export async function verifyLaunch(deps: LaunchVerifierDeps, form: { id_token?: unknown; state?: unknown }): Promise<VerifiedLaunch> {
  if (typeof form.id_token !== 'string' || typeof form.state !== 'string') {
    throw new LtiError('bad_request', sentence('lti.refusal.launchOutsideCourse'), 'launch without id_token or state');
  }
  const state = await deps.states.consume(form.state);
  if (!state) throw refuse('state_unknown', 'state was never issued, already used or expired');
  const platform = await deps.platforms.get(state.platform);
  if (!platform) throw refuse('platform_unknown', `platform ${state.platform} was removed during the login`);

  let unverified: JWTPayload;
  try {
    unverified = decodeJwt(form.id_token);
  } catch (error) {
    throw refuse('bad_request', `id_token is not a JWT: ${(error as Error).message}`, error);
  }
  if (unverified.iss !== platform.issuer) throw refuse('issuer', `id_token iss ${String(unverified.iss)} is not ${platform.issuer}`);

  const skew = deps.skewSeconds ?? 60;
  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(form.id_token, deps.jwks.resolver(platform.jwks_url), {
      algorithms: ['RS256'],
      issuer: platform.issuer,
      audience: platform.client_id,
      clockTolerance: skew,
      currentDate: deps.clock.now(),
      requiredClaims: ['iat', 'exp', 'nonce', 'sub'],
    }));
  } catch (error) {
    throw classify(error);
  }
  // A signed claim is still input: a NUL in sub, a context id or a name would fail in the store as a 500.
  const nul = nulPath(claims, 'id_token');
  if (nul) throw refuse('claims', `${nul} contains a NUL character`);
  const now = deps.clock.now().getTime() / 1000;
  if (typeof claims.iat === 'number' && claims.iat > now + skew) throw refuse('expired', `id_token issued in the future (iat ${claims.iat})`);
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (audiences.length > 1 && claims.azp === undefined) throw refuse('audience', 'several audiences but no azp');
  if (claims.azp !== undefined && claims.azp !== platform.client_id) throw refuse('audience', `azp ${String(claims.azp)} is not our client id`);

  if (claims.nonce !== state.nonce) throw refuse('nonce', 'nonce differs from the one sent with this state');
  const validUntil = new Date(((claims.exp as number) + skew) * 1000);
  if (!(await deps.states.useNonce(platform.issuer, state.nonce, validUntil))) throw refuse('nonce', 'nonce was used before');

  const deploymentId = claims[CLAIM.deploymentId];
  if (typeof deploymentId !== 'string' || !platform.deployment_ids.includes(deploymentId)) {
    throw new LtiError('deployment_unknown', sentence('lti.refusal.deploymentUnknown'), `deployment ${String(deploymentId)} is not registered for ${platform.name}`);
  }
  if (claims[CLAIM.version] !== LTI_VERSION) throw refuse('claims', `LTI version ${String(claims[CLAIM.version])} is not ${LTI_VERSION}`);
  const messageType = claims[CLAIM.messageType];
  if (messageType !== MESSAGE_TYPE.resourceLink && messageType !== MESSAGE_TYPE.deepLinkingRequest) {
    throw refuse('claims', `message type ${String(messageType)} is not handled`);
  }
  return toLaunch(platform, messageType, deploymentId, claims);
}

function toLaunch(platform: Platform, messageType: VerifiedLaunch['messageType'], deploymentId: string, claims: JWTPayload): VerifiedLaunch {
  const roles = claims[CLAIM.roles];
  if (!Array.isArray(roles)) throw refuse('claims', 'roles claim is missing');
  const resourceLink = claims[CLAIM.resourceLink] as { id?: unknown } | undefined;
  if (messageType === MESSAGE_TYPE.resourceLink && typeof resourceLink?.id !== 'string') throw refuse('claims', 'resource_link.id is missing');
  const context = claims[CLAIM.context] as { id?: unknown; title?: unknown; label?: unknown } | undefined;
  const customRaw = (claims[CLAIM.custom] ?? {}) as Record<string, unknown>;
  const custom = Object.fromEntries(Object.entries(customRaw).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const agsRaw = claims[CLAIM.agsEndpoint] as { scope?: unknown; lineitem?: unknown; lineitems?: unknown } | undefined;
  const dlRaw = claims[CLAIM.deepLinkingSettings] as Record<string, unknown> | undefined;
  if (messageType === MESSAGE_TYPE.deepLinkingRequest && typeof dlRaw?.deep_link_return_url !== 'string') {
    throw refuse('claims', 'deep_linking_settings.deep_link_return_url is missing');
  }
  if (typeof dlRaw?.deep_link_return_url === 'string' && !isWebUrl(dlRaw.deep_link_return_url)) {
    throw new LtiError(
      'claims',
      sentence('lti.refusal.returnUrlNotWeb'),
      `deep_link_return_url ${JSON.stringify(dlRaw.deep_link_return_url.slice(0, 200))} is not an http(s) URL`,
    );
  }
  return {
    platform,
    messageType,
    deploymentId,
    sub: claims.sub as string,
    roles: roles.filter((r): r is string => typeof r === 'string'),
    ...(typeof claims.name === 'string' ? { name: claims.name } : {}),
    ...(typeof context?.id === 'string'
      ? { context: { id: context.id, ...(typeof context.title === 'string' ? { title: context.title } : {}), ...(typeof context.label === 'string' ? { label: context.label } : {}) } }
      : {}),
    ...(typeof resourceLink?.id === 'string' ? { resourceLinkId: resourceLink.id } : {}),
    custom,
    ...(agsRaw
      ? {
          ags: {
            scope: Array.isArray(agsRaw.scope) ? agsRaw.scope.filter((s): s is string => typeof s === 'string') : [],
            ...(typeof agsRaw.lineitem === 'string' ? { lineitem: agsRaw.lineitem } : {}),
            ...(typeof agsRaw.lineitems === 'string' ? { lineitems: agsRaw.lineitems } : {}),
          },
        }
      : {}),
    ...(dlRaw
      ? {
          deepLinking: {
            returnUrl: dlRaw.deep_link_return_url as string,
            acceptTypes: Array.isArray(dlRaw.accept_types) ? dlRaw.accept_types.filter((s): s is string => typeof s === 'string') : [],
            acceptMultiple: dlRaw.accept_multiple === true || dlRaw.accept_multiple === 'true',
            ...(typeof dlRaw.data === 'string' ? { data: dlRaw.data } : {}),
            ...(typeof dlRaw.title === 'string' ? { title: dlRaw.title } : {}),
          },
        }
      : {}),
    claims,
  };
}

function classify(error: unknown): LtiError {
  if (error instanceof LtiError) return error;
  if (error instanceof UnknownKeyError) return refuse('unknown_kid', error.message, error);
  if (error instanceof errors.JWTExpired) return refuse('expired', `id_token expired: ${error.message}`, error);
  if (error instanceof errors.JWSSignatureVerificationFailed) return refuse('signature', 'id_token signature does not verify', error);
  if (error instanceof errors.JWTClaimValidationFailed) {
    const reason = error.claim === 'aud' ? 'audience' : error.claim === 'iss' ? 'issuer' : error.claim === 'iat' || error.claim === 'nbf' ? 'expired' : 'claims';
    return refuse(reason, `id_token claim ${error.claim}: ${error.message}`, error);
  }
  if (error instanceof errors.JOSEError) return refuse('signature', `id_token refused: ${error.code}: ${error.message}`, error);
  return new LtiError('platform_unreachable', sentence('lti.refusal.platformUnreachable'), (error as Error).message, { cause: error });
}
