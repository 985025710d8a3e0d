/**
 * A small user agent for HTTP-level tests: follows redirects, keeps cookies per host (ltijs needs its
 * state cookie, stacklab must not), and submits the auto-posting forms platforms and tools answer with.
 * The Chromium test covers the real browser; this one keeps the many refusal tests fast.
 */
export interface Page {
  url: string;
  status: number;
  text: string;
  /** Every URL visited, in order (redirect hops included). */
  trail: string[];
}

export interface Form {
  action: string;
  method: string;
  fields: Record<string, string>;
}

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([a-zA-Z_:-]+)\s*=\s*("([^"]*)"|'([^']*)')/g)) out[m[1].toLowerCase()] = decode(m[3] ?? m[4] ?? '');
  return out;
}

function decode(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] as string);
}

/** The first form of a page with its hidden and checked inputs. */
export function firstForm(html: string, baseUrl: string): Form | undefined {
  const match = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!match) return undefined;
  const attrs = attributes(match[1]);
  const fields: Record<string, string> = {};
  for (const input of match[2].matchAll(/<input\b([^>]*)>/gi)) {
    const a = attributes(input[1]);
    if (a.name && (a.type === 'hidden' || a.type === undefined)) fields[a.name] = a.value ?? '';
  }
  return { action: new URL(attrs.action ?? baseUrl, baseUrl).toString(), method: (attrs.method ?? 'GET').toUpperCase(), fields };
}

export class MiniBrowser {
  readonly cookies = new Map<string, Map<string, string>>();
  /** Every Set-Cookie line received, by host, including those a cookie-blocking browser dropped. */
  readonly setCookies: Array<{ host: string; line: string }> = [];

  /**
   * `blockCookies`: keep no cookie at all, as Safari does for a site inside another site's iframe.
   * `headers`: sent with every request, as a browser sends its Accept-Language.
   */
  constructor(private readonly options: { blockCookies?: boolean; headers?: Record<string, string> } = {}) {}

  async get(url: string): Promise<Page> {
    return this.request(url, { method: 'GET' });
  }

  async post(url: string, fields: Record<string, string | string[]>): Promise<Page> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const one of ([] as string[]).concat(v)) body.append(k, one);
    return this.request(url, { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }

  /** Submits the page's first form as its script would. */
  async submit(page: Page, extra: Record<string, string | string[]> = {}): Promise<Page> {
    const form = firstForm(page.text, page.url);
    if (!form) throw new Error(`no form on ${page.url} (status ${page.status}): ${page.text.slice(0, 300)}`);
    const fields = { ...form.fields, ...extra };
    if (form.method === 'POST') return this.post(form.action, fields);
    const url = new URL(form.action);
    for (const [k, v] of Object.entries(fields)) url.searchParams.set(k, String(v));
    return this.get(url.toString());
  }

  private async request(url: string, init: { method: string; body?: string; headers?: Record<string, string> }): Promise<Page> {
    const trail: string[] = [];
    let current = url;
    let method = init.method;
    let body = init.body;
    let headers = { ...init.headers };
    for (let hop = 0; hop < 20; hop++) {
      trail.push(current);
      const target = new URL(current);
      const jar = this.cookies.get(target.host);
      const cookie = jar && jar.size ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : undefined;
      const response = await fetch(current, { method, body, headers: { ...this.options.headers, ...headers, ...(cookie ? { cookie } : {}) }, redirect: 'manual' });
      for (const line of response.headers.getSetCookie()) {
        this.setCookies.push({ host: target.host, line });
        if (!this.options.blockCookies) this.store(target.host, line);
      }
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        const next = new URL(location, current);
        // fetch drops the fragment when it asks the server; the page URL keeps it so tests can read it.
        current = next.toString();
        if (response.status !== 307 && response.status !== 308) {
          method = 'GET';
          body = undefined;
          headers = {};
        }
        continue;
      }
      return { url: current, status: response.status, text: await response.text(), trail };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  private store(host: string, line: string): void {
    const [pair] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq < 0) return;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const jar = this.cookies.get(host) ?? new Map<string, string>();
    const expired = /expires=Thu, 01 Jan 1970/i.test(line) || /max-age=0\b/i.test(line);
    if (expired) jar.delete(name);
    else jar.set(name, value);
    this.cookies.set(host, jar);
  }
}
