/**
 * A Keystone v3 session for one cloud: gets a project-scoped token (password or application
 * credential), keeps it until shortly before it expires, renews it once on a 401, and finds service
 * endpoints in the token's catalog by type, region and interface. Every request to Keystone says
 * `Connection: close`: Keystone under uwsgi answers a reused connection with a 503.
 */
import type { Logger } from 'pino';
import { ProviderError } from '../provider.ts';
import type { ResolvedCloud } from './cloud-config.ts';
import type { HttpClient, HttpRequest, HttpResponse } from './http-client.ts';
import { openStackMessage, toProviderError, trustRefusedError } from './openstack-errors.ts';

export interface CatalogEndpoint {
  interface: string;
  region_id?: string;
  region?: string;
  url: string;
}
export interface CatalogService {
  type: string;
  name?: string;
  endpoints: CatalogEndpoint[];
}

export interface KeystoneToken {
  value: string;
  /** ms since the epoch */
  expiresAt: number;
  issuedAt: number;
  userId: string;
  projectId?: string;
  catalog: CatalogService[];
}

/** Renew this long before expiry, but never more than half of the token's lifetime. */
const RENEW_MARGIN_MS = 5 * 60_000;

function domainOf(id: string | undefined, name: string | undefined): { id: string } | { name: string } {
  if (id) return { id };
  return { name: name ?? 'Default' };
}

export function authRequestBody(cloud: ResolvedCloud): unknown {
  const a = cloud.auth;
  const userDomain = domainOf(a.user_domain_id, a.user_domain_name);
  const user = a.user_id ? { id: a.user_id } : { name: a.username, domain: userDomain };
  if (cloud.method === 'application_credential') {
    // An application credential is already bound to its project: Keystone refuses a scope here.
    const cred = a.application_credential_id
      ? { id: a.application_credential_id, secret: a.application_credential_secret }
      : { name: a.application_credential_name, secret: a.application_credential_secret, user };
    return { auth: { identity: { methods: ['application_credential'], application_credential: cred } } };
  }
  const project = a.project_id
    ? { id: a.project_id }
    : { name: a.project_name, domain: a.project_domain_id || a.project_domain_name ? domainOf(a.project_domain_id, a.project_domain_name) : userDomain };
  return {
    auth: {
      identity: { methods: ['password'], password: { user: { ...user, password: a.password } } },
      scope: { project },
    },
  };
}

export class KeystoneSession {
  /** How many times a token was requested from Keystone (for logs and tests). */
  authentications = 0;
  private current: KeystoneToken | null = null;
  private pending: Promise<KeystoneToken> | null = null;

  constructor(
    readonly cloud: ResolvedCloud,
    private readonly http: HttpClient,
    private readonly logger?: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  private fresh(t: KeystoneToken | null): t is KeystoneToken {
    if (!t) return false;
    const margin = Math.min(RENEW_MARGIN_MS, (t.expiresAt - t.issuedAt) / 2);
    return this.now() < t.expiresAt - margin;
  }

  async token(): Promise<KeystoneToken> {
    if (this.fresh(this.current)) return this.current;
    // One authentication at a time: a burst of calls with an expired token shares one renewal.
    this.pending ??= this.authenticate().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  /** Forget a token the cloud no longer accepts (only if it is still the cached one). */
  invalidate(value: string): void {
    if (this.current?.value === value) this.current = null;
  }

  /** Seeds the cache with a token obtained elsewhere (a hand-over, or a test's revoked token). */
  useToken(token: KeystoneToken): void {
    this.current = token;
  }

  /** Test and operator hook: pretend the cached token expired now. */
  expireCachedToken(): void {
    if (this.current) this.current = { ...this.current, expiresAt: this.now() };
  }

  private async authenticate(): Promise<KeystoneToken> {
    this.authentications++;
    const res = await this.http.request({
      method: 'POST',
      url: `${this.cloud.authUrl}/auth/tokens`,
      what: 'keystone: authenticate',
      headers: { Connection: 'close' },
      // A second token request only makes a second token: safe to send again when the first got no answer.
      idempotent: true,
      json: authRequestBody(this.cloud),
    });
    if (res.status !== 201 && res.status !== 200) {
      const err = toProviderError(res, { what: `keystone: authenticate (${this.cloud.method}, credentials from ${this.cloud.source})` });
      if (res.status === 401 || res.status === 404 || res.status === 400) {
        throw new ProviderError('AUTH_FAILED', "The cloud refused stacklab's credentials; the operator needs to check them.", err.detail);
      }
      throw err;
    }
    const value = res.headers.get('x-subject-token');
    const body = res.body as { token?: { expires_at?: string; issued_at?: string; user?: { id: string }; project?: { id: string }; catalog?: CatalogService[] } } | null;
    if (!value || !body?.token) throw new ProviderError('INTERNAL', 'The cloud gave an unexpected answer; the operator can find the details in the log.', 'keystone: authenticate: answer without X-Subject-Token or token body');
    const t = body.token;
    const issuedAt = t.issued_at ? Date.parse(t.issued_at) : this.now();
    const token: KeystoneToken = {
      value,
      issuedAt,
      expiresAt: t.expires_at ? Date.parse(t.expires_at) : issuedAt + 3600_000,
      userId: t.user?.id ?? '',
      projectId: t.project?.id,
      catalog: t.catalog ?? [],
    };
    this.current = token;
    this.logger?.debug({ method: this.cloud.method, user: token.userId, project: token.projectId, expiresAt: new Date(token.expiresAt).toISOString() }, 'keystone: authenticated');
    return token;
  }

  /** The URL of a service from the catalog, or null when the cloud has none in this region/interface. */
  async endpoint(serviceType: string): Promise<string | null> {
    const token = await this.token();
    return findEndpoint(token.catalog, serviceType, this.cloud.interface, this.cloud.region);
  }

  /**
   * A request to a catalog service with the session's token; a 401 is answered with one fresh
   * token and one retry (tokens can be revoked or expire early), never a loop.
   */
  async request(serviceType: string, req: Omit<HttpRequest, 'url'> & { path: string }): Promise<HttpResponse> {
    let res: HttpResponse | null = null;
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = await this.token();
      const base = findEndpoint(token.catalog, serviceType, this.cloud.interface, this.cloud.region);
      if (!base) {
        throw new ProviderError(
          'UNAVAILABLE',
          `The cloud that should run this lab offers no ${serviceType} service where stacklab looks for it; the operator needs to check the region and interface.`,
          `no ${serviceType} endpoint (interface ${this.cloud.interface}, region ${this.cloud.region ?? 'any'}) in the catalog`,
        );
      }
      const { path, ...rest } = req;
      res = await this.http.request({ ...rest, url: base + path, headers: { ...req.headers, 'X-Auth-Token': token.value } });
      if (res.status !== 401) return res;
      this.logger?.info({ what: req.what }, `${req.what}: token refused (401), authenticating again`);
      this.invalidate(token.value);
    }
    return res as HttpResponse;
  }

  /**
   * Whether this token may manage trusts. Debian's Keystone refuses trust operations to
   * application-credential tokens, and Heat answers the stack create that needs a trust with a bare
   * 500; listing our own trusts hits the same check and gives the reason in words.
   */
  async trustRefusal(): Promise<ProviderError | null> {
    if (this.cloud.method !== 'application_credential') return null;
    const token = await this.token();
    const res = await this.http.request({
      method: 'GET',
      url: `${this.cloud.authUrl}/OS-TRUST/trusts?trustor_user_id=${encodeURIComponent(token.userId)}`,
      what: 'keystone: check trust delegation',
      headers: { Connection: 'close', 'X-Auth-Token': token.value },
    });
    const message = openStackMessage(res);
    if (res.status === 403 && /delegated tokens cannot manage trusts/i.test(message)) {
      return trustRefusedError(`keystone: application-credential token cannot manage trusts: ${message} (credentials from ${this.cloud.source})`);
    }
    return null;
  }
}

export function findEndpoint(catalog: CatalogService[], type: string, iface: string, region?: string): string | null {
  const service = catalog.find((s) => s.type === type);
  const ep = service?.endpoints.find((e) => e.interface === iface && (!region || e.region_id === region || e.region === region));
  return ep ? ep.url.replace(/\/+$/, '') : null;
}
