/**
 * The emulator's OAuth token endpoint and AGS 2.0 service, after xblock-lti-consumer's
 * `access_token_endpoint`, `LtiAgsLineItemViewset` and `LtiAgsScoreSerializer`:
 * - token: form-encoded, grant_type must be client_credentials, the client assertion is verified
 *   with the tool's keyset (and, as the security framework asks, iss = sub = client_id, aud = the
 *   token URL, a fresh jti); scopes are filtered to the ones it knows; errors as RFC 6749 §5.2;
 * - scores: POST `<lineitem>/scores` with application/vnd.ims.lis.v1.score+json, a bearer token with
 *   the score scope, timestamp ISO 8601 and later than the user's previous score, scoreMaximum
 *   required with scoreGiven; FullyGraded scores reach the gradebook (publish_grade_on_score_update).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formOf, readBody, sendJson } from './http-util.ts';
import type { Block, OpenEdxEmulator } from './open-edx-emulator.ts';
import { ToolJwtError, verifyToolJwt } from './tool-keyset.ts';

const SCOPE = {
  lineItemReadOnly: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly',
  lineItem: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
  resultReadOnly: 'https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly',
  score: 'https://purl.imsglobal.org/spec/lti-ags/scope/score',
  nrps: 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly',
};
const KNOWN_SCOPES = Object.values(SCOPE);
const REQUIRED = ['grant_type', 'client_assertion_type', 'client_assertion', 'scope'];

export interface LineItem {
  pk: number;
  label: string;
  scoreMaximum: number;
  resourceId: string;
  resourceLinkId: string | null;
  tag: string;
}

export interface ScoreRecord {
  timestamp: string;
  scoreGiven: number | null;
  scoreMaximum: number | null;
  comment: string | null;
  activityProgress: string;
  gradingProgress: string;
  userId: string;
}

export class AgsService {
  readonly lineItems = new Map<number, LineItem>();
  readonly scores = new Map<number, Map<string, ScoreRecord>>();
  /** Published grades: `<usage key>|<sub>` -> fraction earned. */
  readonly gradebook = new Map<string, number>();
  /** Every scores POST, accepted or not, newest last. */
  readonly scorePosts: Array<{ status: number; body: unknown }> = [];
  tokenRequests = 0;
  /**
   * A slow platform, for tests: awaited when a score POST arrives (`received`, before it is looked at)
   * and once it is stored (`answering`, before the answer goes out).
   */
  scoreGate?: (phase: 'received' | 'answering') => Promise<void>;
  private readonly tokens = new Map<string, { scopes: string[]; expiresAt: number }>();
  private readonly usedJti = new Set<string>();
  private nextPk = 1;

  constructor(private readonly emulator: OpenEdxEmulator) {}

  declareLineItem(block: Block, fields: Partial<LineItem> = {}): LineItem {
    const item: LineItem = { pk: this.nextPk++, label: block.title, scoreMaximum: block.weight, resourceId: '', resourceLinkId: block.usageKey, tag: '', ...fields };
    this.lineItems.set(item.pk, item);
    return item;
  }

  lineItemOf(block: Block): LineItem | undefined {
    return [...this.lineItems.values()].find((i) => i.resourceLinkId === block.usageKey);
  }

  lineItemUrl(item: LineItem): string {
    return `${this.emulator.base}/api/lti_consumer/v1/lti/${this.emulator.configPk}/lti-ags/${item.pk}`;
  }

  launchClaim(block: Block): Record<string, unknown> | undefined {
    if (block.agsMode === 'disabled') return undefined;
    const programmatic = block.agsMode === 'programmatic';
    const claim: Record<string, unknown> = {
      scope: [programmatic ? SCOPE.lineItem : SCOPE.lineItemReadOnly, SCOPE.resultReadOnly, SCOPE.score],
      lineitems: `${this.emulator.base}/api/lti_consumer/v1/lti/${this.emulator.configPk}/lti-ags`,
    };
    // Open edX sends `lineitem` for its declarative line item; a line item a tool created by deep
    // linking is sent too, as AGS §3.2 asks and Canvas and Moodle do.
    const item = this.lineItemOf(block);
    if (item) claim.lineitem = this.lineItemUrl(item);
    return claim;
  }

  grade(block: Block, sub: string): number | undefined {
    return this.gradebook.get(`${block.usageKey}|${sub}`);
  }

  async tokenEndpoint(body: string, response: ServerResponse): Promise<void> {
    this.tokenRequests += 1;
    const form = formOf(body);
    const tool = this.emulator.requireTool();
    if (REQUIRED.some((k) => !(k in form))) return sendJson(response, 400, { error: 'invalid_request' });
    if (form.grant_type !== 'client_credentials') return sendJson(response, 400, { error: 'unsupported_grant_type' });
    try {
      const tokenUrl = this.emulator.registration.token_url;
      const claims = await verifyToolJwt(tool.keysetUrl, form.client_assertion, { audience: tokenUrl, issuer: tool.clientId });
      if (claims.sub !== tool.clientId) throw new ToolJwtError('claim', 'sub is not the client id');
      if (typeof claims.jti !== 'string' || this.usedJti.has(claims.jti)) throw new ToolJwtError('claim', 'jti missing or reused');
      if (typeof claims.exp !== 'number') throw new ToolJwtError('claim', 'exp missing');
      this.usedJti.add(claims.jti);
    } catch (error) {
      const kind = error instanceof ToolJwtError ? error.kind : 'malformed';
      return sendJson(response, 400, { error: kind === 'no_suitable_keys' || kind === 'claim' || kind === 'bad_signature' ? 'invalid_client' : 'invalid_grant' });
    }
    const scopes = form.scope.split(' ').filter((s) => KNOWN_SCOPES.includes(s));
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { scopes, expiresAt: Date.now() + 3600_000 });
    sendJson(response, 200, { access_token: token, token_type: 'bearer', expires_in: 3600, scope: scopes.join(' ') });
  }

  private authorized(request: IncomingMessage, anyOf: string[]): boolean {
    const match = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '');
    const token = match ? this.tokens.get(match[1]) : undefined;
    return !!token && token.expiresAt > Date.now() && token.scopes.some((s) => anyOf.includes(s));
  }

  async route(request: IncomingMessage, sub: string, url: URL, response: ServerResponse): Promise<void> {
    const parts = sub.split('/').filter(Boolean);
    const item = parts[0] ? this.lineItems.get(Number(parts[0])) : undefined;
    if (parts.length === 0 && request.method === 'GET') {
      if (!this.authorized(request, [SCOPE.lineItem, SCOPE.lineItemReadOnly])) return sendJson(response, 403, { detail: 'forbidden' });
      const filter = url.searchParams.get('resource_link_id');
      const items = [...this.lineItems.values()].filter((i) => !filter || i.resourceLinkId === filter).map((i) => this.view(i));
      return sendJson(response, 200, items, 'application/vnd.ims.lis.v2.lineitemcontainer+json');
    }
    if (!item) return sendJson(response, 404, { detail: 'Not found.' });
    if (parts.length === 1 && request.method === 'GET') {
      if (!this.authorized(request, [SCOPE.lineItem, SCOPE.lineItemReadOnly])) return sendJson(response, 403, { detail: 'forbidden' });
      return sendJson(response, 200, this.view(item), 'application/vnd.ims.lis.v2.lineitem+json');
    }
    if (parts[1] === 'scores' && request.method === 'POST') return this.postScore(request, item, response);
    if (parts[1] === 'results' && request.method === 'GET') {
      if (!this.authorized(request, [SCOPE.resultReadOnly])) return sendJson(response, 403, { detail: 'forbidden' });
      const all = [...(this.scores.get(item.pk)?.values() ?? [])].filter((s) => s.scoreGiven !== null && (!parts[2] || s.userId === parts[2]));
      const results = all.map((s) => ({ id: `${this.lineItemUrl(item)}/results/${s.userId}`, scoreOf: this.lineItemUrl(item), userId: s.userId, resultScore: s.scoreGiven, resultMaximum: s.scoreMaximum && s.scoreMaximum > 0 ? s.scoreMaximum : 1, comment: s.comment }));
      return sendJson(response, 200, results, 'application/vnd.ims.lis.v2.resultcontainer+json');
    }
    sendJson(response, 405, { detail: 'Method not allowed.' });
  }

  private view(item: LineItem) {
    return { id: this.lineItemUrl(item), resourceId: item.resourceId, scoreMaximum: item.scoreMaximum, label: item.label, tag: item.tag, resourceLinkId: item.resourceLinkId };
  }

  private async postScore(request: IncomingMessage, item: LineItem, response: ServerResponse): Promise<void> {
    const answer = (status: number, body: unknown) => {
      this.scorePosts.push({ status, body: parsed });
      sendJson(response, status, body, status === 201 ? 'application/vnd.ims.lis.v1.score+json' : 'application/json');
    };
    let parsed: Record<string, unknown> | undefined;
    await this.scoreGate?.('received');
    if (!this.authorized(request, [SCOPE.score])) return answer(403, { detail: 'You do not have permission to perform this action.' });
    const type = (request.headers['content-type'] ?? '').split(';')[0].trim();
    if (type !== 'application/vnd.ims.lis.v1.score+json') return answer(415, { detail: `Unsupported media type "${type}" in request.` });
    try {
      parsed = JSON.parse(await readBody(request)) as Record<string, unknown>;
    } catch {
      return answer(400, { detail: 'JSON parse error' });
    }
    const errors: Record<string, string> = {};
    const timestamp = typeof parsed.timestamp === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$/.test(parsed.timestamp) ? parsed.timestamp : undefined;
    if (!timestamp) errors.timestamp = 'Datetime has wrong format.';
    for (const field of ['activityProgress', 'gradingProgress', 'userId']) if (typeof parsed[field] !== 'string' || !parsed[field]) errors[field] = 'This field is required.';
    const given = parsed.scoreGiven ?? null;
    const maximum = parsed.scoreMaximum ?? null;
    if (given !== null && typeof given !== 'number') errors.scoreGiven = 'A valid number is required.';
    if (maximum !== null && typeof maximum !== 'number') errors.scoreMaximum = 'A valid number is required.';
    if (!maximum && given !== null) errors.scoreMaximum = 'scoreMaximum is a required field when providing a scoreGiven value.';
    const byUser = this.scores.get(item.pk) ?? new Map<string, ScoreRecord>();
    const existing = byUser.get(String(parsed.userId));
    if (timestamp && existing) {
      const before = Date.parse(existing.timestamp);
      const now = Date.parse(timestamp);
      if (before > now) errors.timestamp = 'Score timestamp can only be updated to a later point in time';
      if (before === now) errors.timestamp = 'Score already exists for the provided timestamp';
    }
    if (Object.keys(errors).length) return answer(400, errors);
    const record: ScoreRecord = {
      timestamp: timestamp as string,
      scoreGiven: given as number | null,
      scoreMaximum: maximum as number | null,
      comment: typeof parsed.comment === 'string' ? parsed.comment : null,
      activityProgress: String(parsed.activityProgress),
      gradingProgress: String(parsed.gradingProgress),
      userId: String(parsed.userId),
    };
    byUser.set(record.userId, record);
    this.scores.set(item.pk, byUser);
    if (record.gradingProgress === 'FullyGraded' && item.resourceLinkId && record.scoreGiven !== null && record.scoreMaximum) {
      this.gradebook.set(`${item.resourceLinkId}|${record.userId}`, record.scoreGiven / record.scoreMaximum);
    }
    await this.scoreGate?.('answering');
    answer(201, record);
  }
}
