/**
 * An LTI 1.3 platform that behaves as Open edX's xblock-lti-consumer 11.x does, on node:http + jose,
 * so the tool can be tested end to end where no LMS runs:
 *
 * - third-party login initiation as `prepare_preflight_url`: GET to the tool's login URL with iss,
 *   client_id, lti_deployment_id, target_link_uri, login_hint (the user id) and lti_message_hint (a
 *   cache key of the launch data);
 * - the launch gate `/api/lti_consumer/v1/launch/`: checks the preflight (nonce, state, redirect_uri,
 *   client_id; here also scope, response_type, response_mode, prompt and a registered redirect_uri) and
 *   answers with the auto-submitting form of state + id_token (RS256, cty JWT, exp 1 h);
 * - id_token claims as `LtiAdvantageConsumer`: sub = the anonymous user id, roles from the role map,
 *   resource_link.id = the block's usage key, context.id = the course key (course-v1:ORG+COURSE+RUN),
 *   launch_presentation, custom parameters, and the AGS claim with a declarative line item;
 *   deep-linking launches carry no context/custom/AGS claims, as there;
 * - the token endpoint (client_credentials + JWT client assertion only), AGS line items and scores,
 *   and the deep-linking response endpoint: see ags-service.ts and deep-linking-service.ts.
 *
 * Tests can make it misbehave (`tamperNext`), rotate its key, and stop/restart it on the same port.
 * Two things Open edX does not do, for the tests that need a platform that does: a user's roles can be
 * any list (`addUser(..., { roles })`, to send what Canvas or Moodle send), and `offerStorage()` turns on
 * the 1EdTech postMessage platform storage as Canvas offers it: `lti_storage_target` on the login and the
 * launch, and a hidden storage frame in the course page answering `lti.put_data` / `lti.get_data`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWTPayload } from 'jose';
import { AgsService } from './ags-service.ts';
import { DeepLinkingService } from './deep-linking-service.ts';
import { autoSubmit, escapeHtml, formOf, readBody, sendHtml, sendJson } from './http-util.ts';
import { PlatformKeys, type Forgery } from './platform-keys.ts';

const LTI = 'https://purl.imsglobal.org/spec/lti/claim/';

/** xblock-lti-consumer's LTI_1P3_ROLE_MAP. */
export const ROLE_MAP = {
  staff: ['http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator', 'http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor'],
  instructor: ['http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor'],
  student: ['http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student'],
  guest: ['http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student'],
} as const;

export type Role = keyof typeof ROLE_MAP;

export interface User {
  username: string;
  role: Role;
  /** The anonymous (external) user id Open edX sends as sub. */
  sub: string;
  name?: string;
  email?: string;
  /** Roles to send instead of the role map's (another platform's role set). */
  roles?: string[];
  /** The learner's language, sent as launch_presentation.locale (as Canvas and Moodle spell it, e.g. pt_BR). */
  locale?: string;
}

/** The frame name Canvas gives its storage frame (the value of lti_storage_target). */
export const STORAGE_FRAME = 'post_message_forwarding';

export interface ToolRegistration {
  clientId: string;
  deploymentId: string;
  /** The tool's OIDC login initiation URL. */
  loginUrl: string;
  /** The tool's launch URL (target_link_uri). */
  launchUrl: string;
  redirectUris: string[];
  /** The tool's public JWKS URL. */
  keysetUrl: string;
  deepLinkingLaunchUrl?: string;
}

export interface Block {
  usageKey: string;
  courseKey: string;
  title: string;
  custom: Record<string, string>;
  /** 'declarative': a line item per block, read-only for the tool (the default in Studio). */
  agsMode: 'disabled' | 'declarative' | 'programmatic';
  weight: number;
  deepLinking: boolean;
}

export interface Tamper {
  forgery?: Forgery;
  /** Seconds to move iat/exp into the past. */
  expiredBy?: number;
  audience?: string | string[];
  azp?: string;
  deploymentId?: string;
  nonce?: string;
  version?: string;
  /** A deep-linking request's return URL (a platform misconfigured or compromised). */
  deepLinkReturnUrl?: string;
  /** The id_token's sub, unlike the login_hint (a platform sending what the tool's store cannot hold). */
  sub?: string;
}

interface LaunchData {
  user: User;
  block: Block;
  messageType: 'LtiResourceLinkRequest' | 'LtiDeepLinkingRequest';
}

export interface AuthRequest {
  params: Record<string, string>;
  refused?: string;
}

export class OpenEdxEmulator {
  readonly configId = randomUUID();
  /** Open edX addresses AGS and deep linking by the configuration's numeric id. */
  readonly configPk = 7;
  readonly users = new Map<string, User>();
  readonly blocks = new Map<string, Block>();
  readonly authRequests: AuthRequest[] = [];
  /** Every state/id_token pair the launch gate posted to a tool, newest last. */
  readonly posted: Array<{ action: string; state: string; id_token: string; claims: JWTPayload }> = [];
  tool: ToolRegistration | undefined;
  readonly ags: AgsService;
  readonly dl: DeepLinkingService;
  private readonly launchCache = new Map<string, LaunchData>();
  private server: Server | undefined;
  private port = 0;
  private tamper: Tamper | undefined;
  private storageOffered = false;

  private constructor(
    readonly host: string,
    readonly keys: PlatformKeys,
  ) {
    this.ags = new AgsService(this);
    this.dl = new DeepLinkingService(this);
  }

  static async start(options: { host?: string; port?: number } = {}): Promise<OpenEdxEmulator> {
    const emulator = new OpenEdxEmulator(options.host ?? 'localhost', await PlatformKeys.create());
    await emulator.listen(options.port ?? 0);
    return emulator;
  }

  get base(): string {
    return `http://${this.host}:${this.port}`;
  }

  /** Open edX's issuer is the LMS root URL. */
  get issuer(): string {
    return this.base;
  }

  /** What a tool administrator copies from Studio's LTI 1.3 settings. */
  get registration() {
    return {
      issuer: this.issuer,
      auth_login_url: `${this.base}/api/lti_consumer/v1/launch/`,
      token_url: `${this.base}/api/lti_consumer/v1/token/${this.configId}`,
      jwks_url: `${this.base}/api/lti_consumer/v1/public_keysets/${this.configId}`,
    };
  }

  registerTool(tool: ToolRegistration): void {
    this.tool = tool;
  }

  /** From now on, offer postMessage storage (lti_storage_target) as Canvas does. */
  offerStorage(on = true): void {
    this.storageOffered = on;
  }

  addUser(username: string, role: Role, extra: { name?: string; email?: string; roles?: string[]; locale?: string } = {}): User {
    const user = { username, role, sub: randomUUID().replace(/-/g, ''), ...extra };
    this.users.set(username, user);
    return user;
  }

  addBlock(block: Partial<Block> & { courseKey: string }): Block {
    const full: Block = {
      usageKey: `block-v1:${block.courseKey.replace(/^course-v1:/, '')}+type@lti_consumer+block@${randomUUID().replace(/-/g, '')}`,
      title: 'Lab',
      custom: {},
      agsMode: 'declarative',
      weight: 1,
      deepLinking: false,
      ...block,
    };
    this.blocks.set(full.usageKey, full);
    if (full.agsMode === 'declarative') this.ags.declareLineItem(full);
    return full;
  }

  /** Makes the next id_token misbehave once. */
  tamperNext(tamper: Tamper): void {
    this.tamper = tamper;
  }

  /** `prepare_preflight_url`: where the LMS sends the browser to start a launch. */
  loginInitiationUrl(user: User, block: Block, messageType: LaunchData['messageType'] = 'LtiResourceLinkRequest'): string {
    const tool = this.requireTool();
    const hint = randomUUID();
    this.launchCache.set(hint, { user, block, messageType });
    const url = new URL(tool.loginUrl);
    url.search = new URLSearchParams({
      iss: this.issuer,
      client_id: tool.clientId,
      lti_deployment_id: tool.deploymentId,
      target_link_uri: tool.launchUrl,
      login_hint: user.sub,
      lti_message_hint: hint,
      ...(this.storageOffered ? { lti_storage_target: STORAGE_FRAME } : {}),
    }).toString();
    return url.toString();
  }

  /** The LMS page of a unit with the LTI block in an iframe (what a learner opens in the browser). */
  coursewareUrl(user: User, block: Block, messageType: LaunchData['messageType'] = 'LtiResourceLinkRequest'): string {
    const url = new URL(`${this.base}/courses/${encodeURIComponent(block.courseKey)}/xblock/${encodeURIComponent(block.usageKey)}`);
    url.searchParams.set('user', user.username);
    if (messageType === 'LtiDeepLinkingRequest') url.searchParams.set('deep_linking', '1');
    return url.toString();
  }

  async rotateKey(): Promise<string> {
    return this.keys.rotate();
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Comes back on the same port, with everything it knew. */
  async restart(): Promise<void> {
    await this.listen(this.port);
  }

  private async listen(port: number): Promise<void> {
    const server = createServer((request, response) => {
      this.route(request, response).catch((error: Error) => {
        if (!response.headersSent) sendJson(response, 500, { error: 'server_error', detail: error.message });
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host === 'localhost' ? '127.0.0.1' : this.host, () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  requireTool(): ToolRegistration {
    if (!this.tool) throw new Error('emulator: no tool registered');
    return this.tool;
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.base);
    const path = url.pathname;
    if (path.startsWith('/courses/')) return this.courseware(url, response);
    if (path === '/platform-storage') return sendHtml(response, 200, STORAGE_FRAME_PAGE);
    if (path === '/api/lti_consumer/v1/launch/') {
      const params = request.method === 'POST' ? formOf(await readBody(request)) : Object.fromEntries(url.searchParams);
      return this.launchGate(params, response);
    }
    if (path === `/api/lti_consumer/v1/public_keysets/${this.configId}`) {
      response.setHeader('content-disposition', 'attachment; filename=keyset.json');
      return sendJson(response, 200, this.keys.jwks());
    }
    if (path === `/api/lti_consumer/v1/token/${this.configId}` && request.method === 'POST') return this.ags.tokenEndpoint(await readBody(request), response);
    const agsPrefix = `/api/lti_consumer/v1/lti/${this.configPk}/lti-ags`;
    if (path === agsPrefix || path.startsWith(`${agsPrefix}/`)) return this.ags.route(request, path.slice(agsPrefix.length), url, response);
    if (path === `/api/lti_consumer/v1/lti/${this.configPk}/lti-dl/response` && request.method === 'POST') {
      return this.dl.responseEndpoint(formOf(await readBody(request)), response);
    }
    sendJson(response, 404, { detail: 'Not found.' });
  }

  private courseware(url: URL, response: ServerResponse): void {
    const [, , courseKey, , usageKey] = url.pathname.split('/').map(decodeURIComponent);
    const user = this.users.get(url.searchParams.get('user') ?? '');
    const block = this.blocks.get(usageKey);
    if (!user || !block || block.courseKey !== courseKey) return sendHtml(response, 404, '<p>Page not found</p>');
    const type = url.searchParams.get('deep_linking') ? 'LtiDeepLinkingRequest' : 'LtiResourceLinkRequest';
    const src = this.loginInitiationUrl(user, block, type);
    sendHtml(
      response,
      200,
      `<!doctype html><html><head><title>${escapeHtml(block.title)} | ${escapeHtml(courseKey)}</title></head><body>
<h1>${escapeHtml(block.title)}</h1>
${this.storageOffered ? `<iframe name="${STORAGE_FRAME}" src="/platform-storage" hidden></iframe>` : ''}
<iframe id="lti-frame" title="${escapeHtml(block.title)}" src="${escapeHtml(src)}" width="1000" height="700" allowfullscreen></iframe>
</body></html>`,
    );
  }

  private refuse(response: ServerResponse, record: AuthRequest, why: string, status = 400): void {
    record.refused = why;
    sendHtml(response, status, `<p class="error">LTI launch error: ${escapeHtml(why)}</p>`);
  }

  private async launchGate(params: Record<string, string>, response: ServerResponse): Promise<void> {
    const record: AuthRequest = { params };
    this.authRequests.push(record);
    if (!params.lti_message_hint) return this.refuse(response, record, 'The lti_message_hint is missing or empty.');
    if (!params.login_hint) return this.refuse(response, record, 'The login_hint is missing or empty.');
    const launch = this.launchCache.get(params.lti_message_hint);
    if (!launch) return this.refuse(response, record, `Unable to find record of an OIDC launch for the provided lti_message_hint: ${params.lti_message_hint}`);
    const tool = this.requireTool();
    // _validate_preflight_response, then what the OIDC spec asks of an authentication request.
    if (!params.nonce || !params.state || !params.redirect_uri || params.client_id !== tool.clientId) {
      return this.refuse(response, record, 'Preflight request validation failure (nonce, state, redirect_uri, client_id).');
    }
    const expected = { scope: 'openid', response_type: 'id_token', response_mode: 'form_post', prompt: 'none' } as const;
    for (const [key, value] of Object.entries(expected)) {
      if (params[key] !== value) return this.refuse(response, record, `${key} must be ${value}, got ${params[key] ?? '(none)'}`);
    }
    if (params.login_hint !== launch.user.sub) return this.refuse(response, record, 'login_hint does not match the user of this launch');
    if (!tool.redirectUris.includes(params.redirect_uri)) return this.refuse(response, record, `redirect_uri ${params.redirect_uri} is not registered`);

    let launchUrl = params.redirect_uri;
    let claims: JWTPayload;
    if (launch.messageType === 'LtiDeepLinkingRequest') {
      if (!launch.block.deepLinking) return this.refuse(response, record, 'deep linking is not enabled on this block');
      if (launch.user.role !== 'instructor' && launch.user.role !== 'staff') return this.refuse(response, record, 'Deep Linking can only be performed by instructors and staff.', 403);
      launchUrl = tool.deepLinkingLaunchUrl ?? tool.launchUrl;
      claims = { ...this.baseClaims(launch, tool), [`${LTI}message_type`]: 'LtiDeepLinkingRequest', ...this.dl.settingsClaim(launch.block) };
      if (launch.user.locale) claims[`${LTI}launch_presentation`] = { document_target: 'iframe', locale: launch.user.locale };
    } else {
      const item = this.dl.itemFor(launch.block);
      claims = this.baseClaims(launch, tool, item?.url);
      claims[`${LTI}launch_presentation`] = { document_target: 'iframe', return_url: `${this.base}/courses/${launch.block.courseKey}/course/`, ...(launch.user.locale ? { locale: launch.user.locale } : {}) };
      claims[`${LTI}context`] = {
        id: launch.block.courseKey,
        type: ['http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering'],
        title: `Course ${launch.block.courseKey}`,
        label: launch.block.courseKey,
      };
      const custom = item?.custom ?? launch.block.custom;
      if (Object.keys(custom).length) claims[`${LTI}custom`] = custom;
      const ags = this.ags.launchClaim(launch.block);
      if (ags) claims['https://purl.imsglobal.org/spec/lti-ags/claim/endpoint'] = ags;
    }
    claims.nonce = params.nonce;
    const idToken = await this.signIdToken(claims);
    this.posted.push({ action: launchUrl, state: params.state, id_token: idToken, claims });
    sendHtml(response, 200, autoSubmit(launchUrl, { state: params.state, id_token: idToken, ...(this.storageOffered ? { lti_storage_target: STORAGE_FRAME } : {}) }));
  }

  private baseClaims(launch: LaunchData, tool: ToolRegistration, targetLinkUri?: string): JWTPayload {
    return {
      [`${LTI}message_type`]: 'LtiResourceLinkRequest',
      [`${LTI}version`]: '1.3.0',
      iss: this.issuer,
      aud: tool.clientId,
      azp: tool.clientId,
      [`${LTI}deployment_id`]: tool.deploymentId,
      [`${LTI}target_link_uri`]: targetLinkUri ?? tool.launchUrl,
      sub: launch.user.sub,
      [`${LTI}roles`]: [...(launch.user.roles ?? ROLE_MAP[launch.user.role])],
      ...(launch.user.name ? { name: launch.user.name } : {}),
      ...(launch.user.email ? { email: launch.user.email } : {}),
      [`${LTI}resource_link`]: { id: launch.block.usageKey },
    };
  }

  private async signIdToken(claims: JWTPayload): Promise<string> {
    const tamper = this.tamper;
    this.tamper = undefined;
    const now = Math.round(Date.now() / 1000) - (tamper?.expiredBy ?? 0);
    const payload: JWTPayload = { ...claims, iat: now, exp: now + 3600 };
    if (tamper?.expiredBy) payload.exp = now + Math.min(3600, Math.floor(tamper.expiredBy / 2));
    if (tamper?.audience !== undefined) payload.aud = tamper.audience;
    if (tamper?.azp !== undefined) payload.azp = tamper.azp;
    if (tamper?.deploymentId !== undefined) payload[`${LTI}deployment_id`] = tamper.deploymentId;
    if (tamper?.nonce !== undefined) payload.nonce = tamper.nonce;
    if (tamper?.version !== undefined) payload[`${LTI}version`] = tamper.version;
    if (tamper?.sub !== undefined) payload.sub = tamper.sub;
    const dl = payload['https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings'] as Record<string, unknown> | undefined;
    if (tamper?.deepLinkReturnUrl !== undefined && dl) dl.deep_link_return_url = tamper.deepLinkReturnUrl;
    return this.keys.sign(payload, tamper?.forgery);
  }
}

/**
 * The platform's storage frame (1EdTech "postMessage Platform Storage"): keeps each sender origin's
 * values apart, answers `lti.capabilities`, `lti.put_data` and `lti.get_data` to the sender's origin,
 * and answers a key it does not hold with an error, as the spec's `bad_request`/not found.
 */
const STORAGE_FRAME_PAGE = `<!doctype html><html><body><script>
var store = {};
window.addEventListener('message', function (event) {
  var m = event.data;
  if (!m || typeof m.subject !== 'string') return;
  var reply = function (body) { event.source.postMessage(Object.assign({ message_id: m.message_id }, body), event.origin); };
  var k = event.origin + ' ' + m.key;
  if (m.subject === 'lti.capabilities') reply({ subject: 'lti.capabilities.response', supported_messages: [{ subject: 'lti.put_data' }, { subject: 'lti.get_data' }] });
  else if (m.subject === 'lti.put_data') { store[k] = m.value; reply({ subject: 'lti.put_data.response', key: m.key, value: m.value }); }
  else if (m.subject === 'lti.get_data') {
    if (Object.prototype.hasOwnProperty.call(store, k)) reply({ subject: 'lti.get_data.response', key: m.key, value: store[k] });
    else reply({ subject: 'lti.get_data.response', key: m.key, error: { code: 'bad_request', message: 'no such key' } });
  }
});
</script></body></html>`;
