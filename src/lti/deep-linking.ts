/**
 * Deep Linking 2.0: the platform sends an LtiDeepLinkingRequest, an instructor picks labs on our
 * page, and we answer with a signed LtiDeepLinkingResponse (one ltiResourceLink per lab, with the
 * custom `lab` parameter and a line item so the platform creates a gradebook column).
 *
 * Between the picker page and the answer the request's settings travel in a short-lived token signed
 * with the 'lti-state' key, so nothing rests in a cookie. The token is single use: its id is recorded
 * when it is spent (src/services/used-tokens.ts), so a picker page posted twice, or a token read from a
 * log, cannot add labs again.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { Lab } from '../domain/lab.ts';
import type { Queryable } from '../db/database.ts';
import type { Clock } from '../infra/clock.ts';
import type { Keys } from '../infra/keys.ts';
import { PICKER_TOKEN_ISSUER, useTokenOnce } from '../services/used-tokens.ts';
import { CLAIM, LTI_VERSION, MESSAGE_TYPE } from './claims.ts';
import { launchLocale } from './launch-locale.ts';
import { LtiError } from './lti-error.ts';
import type { ToolKeys } from './tool-keys.ts';
import type { VerifiedLaunch } from './verify-launch.ts';
import { sentence } from '../errors/sentence.ts';

export interface PickerRequest {
  platform: string;
  issuer: string;
  clientId: string;
  deploymentId: string;
  returnUrl: string;
  acceptMultiple: boolean;
  data?: string;
  /** The instructor's language from the launch (launch_presentation.locale), for the pages after the picker. */
  locale?: string;
}

/** An opened picker token: the request, and what `spend` needs to mark it used. */
export interface OpenedPicker extends PickerRequest {
  tokenId: string;
  expiresAt: Date;
}

/** Scores arrive in [0, 1]; the platform scales them to this many points. */
export const LINE_ITEM_POINTS = 100;

const PICKER_AUDIENCE = 'stacklab:lti-deep-linking';

export async function sealPickerRequest(keys: Keys, clock: Clock, launch: VerifiedLaunch, ttlSeconds = 3600): Promise<string> {
  const dl = launch.deepLinking;
  if (!dl) throw new LtiError('claims', sentence('lti.refusal.notDeepLinking'), 'no deep_linking_settings');
  const locale = launchLocale(launch);
  const body: PickerRequest = {
    platform: launch.platform.name,
    issuer: launch.platform.issuer,
    clientId: launch.platform.client_id,
    deploymentId: launch.deploymentId,
    returnUrl: dl.returnUrl,
    acceptMultiple: dl.acceptMultiple,
    ...(dl.data !== undefined ? { data: dl.data } : {}),
    ...(locale !== undefined ? { locale } : {}),
  };
  assertWebUrl(dl.returnUrl);
  const now = clock.now();
  return new SignJWT({ dl: body })
    .setProtectedHeader({ alg: 'HS256' })
    .setJti(randomBytes(16).toString('base64url'))
    .setAudience(PICKER_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(new Date(now.getTime() + ttlSeconds * 1000))
    .sign(keys.key('lti-state'));
}

export async function openPickerRequest(keys: Keys, clock: Clock, token: string): Promise<OpenedPicker> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, keys.key('lti-state'), { algorithms: ['HS256'], audience: PICKER_AUDIENCE, currentDate: clock.now(), requiredClaims: ['jti', 'exp'] }));
  } catch (error) {
    throw new LtiError('state_unknown', sentence('lti.refusal.pickerExpired'), `picker token refused: ${(error as Error).message}`, { cause: error });
  }
  const request = payload.dl as PickerRequest;
  assertWebUrl(request.returnUrl);
  return { ...request, tokenId: payload.jti as string, expiresAt: new Date((payload.exp as number) * 1000) };
}

/** Marks the picker token used; a second answer with the same token is refused. */
export async function spendPickerToken(db: Queryable, picked: OpenedPicker): Promise<void> {
  if (!(await useTokenOnce(db, PICKER_TOKEN_ISSUER, picked.tokenId, picked.expiresAt))) {
    throw new LtiError('state_unknown', sentence('lti.refusal.pickerUsed'), `picker token ${picked.tokenId} was used before`);
  }
}

/**
 * The deep-linking return URL is where the browser posts the signed answer, so it must be a web
 * address: a `javascript:` or `data:` URL would run in our page's place.
 */
export function isWebUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

function assertWebUrl(returnUrl: string): void {
  if (!isWebUrl(returnUrl)) {
    throw new LtiError(
      'claims',
      sentence('lti.refusal.returnUrlNotWeb'),
      `deep_link_return_url ${JSON.stringify(returnUrl.slice(0, 200))} is not an http(s) URL`,
    );
  }
}

export function contentItem(lab: Lab, launchUrl: string): Record<string, unknown> {
  return {
    type: 'ltiResourceLink',
    title: lab.title,
    ...(lab.description ? { text: lab.description } : {}),
    url: launchUrl,
    custom: { lab: lab.id },
    lineItem: { scoreMaximum: LINE_ITEM_POINTS, label: lab.title, resourceId: lab.id, tag: 'stacklab' },
  };
}

/** The signed LtiDeepLinkingResponse JWT for the chosen labs. */
export async function deepLinkingResponse(toolKeys: ToolKeys, clock: Clock, request: PickerRequest, items: Record<string, unknown>[]): Promise<string> {
  const { kid, key } = await toolKeys.signingKey();
  const now = clock.now();
  return new SignJWT({
    nonce: randomBytes(16).toString('base64url'),
    [CLAIM.deploymentId]: request.deploymentId,
    [CLAIM.messageType]: MESSAGE_TYPE.deepLinkingResponse,
    [CLAIM.version]: LTI_VERSION,
    [CLAIM.contentItems]: items,
    ...(request.data !== undefined ? { [CLAIM.deepLinkingData]: request.data } : {}),
    [CLAIM.deepLinkingMsg]: items.length === 1 ? `Added ${String(items[0].title)}` : `Added ${items.length} labs`,
  })
    .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
    .setIssuer(request.clientId)
    .setAudience(request.issuer)
    .setIssuedAt(now)
    .setExpirationTime(new Date(now.getTime() + 600_000))
    .sign(key);
}
