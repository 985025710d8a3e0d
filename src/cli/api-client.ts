/**
 * The CLI's way to a running server: its REST API with the bearer token, as `openstack` and `coder` talk
 * to theirs. A refusal comes back as the API's own message and detail, plus what to do about it.
 */
export class ApiClient {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  async request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const target = `${this.url.replace(/\/$/, '')}/api/v1${path}`;
    let response: Response;
    try {
      response = await fetch(target, {
        method,
        headers: { authorization: `Bearer ${this.token}`, 'x-stacklab-actor': 'cli', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`cannot reach the stacklab server at ${this.url}: ${cause?.code ?? cause?.message ?? (error as Error).message}; start it, or check --url/STACKLAB_URL`, { cause: error });
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      throw new Error(`the server at ${this.url} answered ${method} ${path} with ${response.status} and no JSON: is --url/STACKLAB_URL a stacklab server?`);
    }
    if (response.ok) return parsed as T;
    const refusal = (parsed ?? {}) as { code?: string; message?: string; detail?: string };
    const said = [refusal.message ?? `HTTP ${response.status}`, refusal.detail].filter(Boolean).join(' ');
    if (response.status === 401) throw new Error(`${said} The server refused the token: pass its token with --token or STACKLAB_API_TOKEN (a generated one is in <data_dir>/api-token).`);
    throw new Error(said);
  }
}
