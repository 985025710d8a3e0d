/**
 * Heat's REST API (orchestration v1) as the provider needs it. Every call goes through the
 * Keystone session (token, catalog, 401 renewal) and the cloud's HTTP client (timeouts, retries,
 * concurrency). Stacks are addressed as /stacks/<name>/<id>; a by-name GET answers 302 and the
 * redirect is followed here, by name and id, so an internal hostname in Location never leaks in.
 */
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import { ProviderError, type CreateRequest, type ParameterValue, type StackRef } from '../provider.ts';
import type { HttpRequest, HttpResponse } from './http-client.ts';
import type { KeystoneSession } from './keystone-session.ts';
import { deploymentTag } from '../stack-names.ts';
import { toProviderError } from './openstack-errors.ts';
import type { HeatEvent, HeatStack } from './heat-status.ts';

export interface HeatResource {
  resource_name: string;
  resource_type: string;
  physical_resource_id: string;
  resource_status: string;
}

export interface HeatStackSummary {
  id: string;
  stack_name: string;
  stack_status: string;
  creation_time?: string;
  /** Heat lists a stack's tags (null or absent when it has none). */
  tags?: string[] | null;
}

const LIST_PAGE = 200;
/** Heat frees the name of a deleted stack a few seconds after DELETE_COMPLETE (measured: ~5 s). */
const NAME_RELEASE_ATTEMPTS = 20;
const NAME_RELEASE_WAIT_MS = 1000;
/** Creates sent without learning their outcome before the create fails (each after the client's own retries). */
const LOST_CREATE_ATTEMPTS = 3;

/**
 * An error after which the request `what` may or may not have been acted on: no answer, a cut
 * connection. The HTTP client's own errors name the request; one that names another (Keystone refusing
 * the token the request needed) means the request was never sent.
 */
function isUncertain(error: unknown, what: string): boolean {
  return error instanceof ProviderError && error.code === 'UNAVAILABLE' && error.detail.startsWith(`${what}:`);
}

/**
 * stacklab passes the same platform parameters (run, per-learner values) to every lab, but Heat
 * refuses a parameter the template does not declare (UnknownUserParameter): pass only declared ones.
 * A template that does not parse is sent as it is, so that Heat's message names the line.
 */
export function declaredParameters(template: string, params: Record<string, ParameterValue>): Record<string, ParameterValue> {
  let declared: unknown;
  try {
    declared = (parseYaml(template) as { parameters?: unknown } | null)?.parameters;
  } catch {
    return params;
  }
  if (!declared || typeof declared !== 'object') return {};
  return Object.fromEntries(Object.entries(params).filter(([k]) => k in declared));
}

export interface ShowOptions {
  /** False: the stack's status without its outputs (Heat does not resolve them). */
  outputs?: boolean;
}

/** For a show that reads only the status. */
export const STATUS_ONLY: ShowOptions = { outputs: false };

function stackPath(ref: StackRef): string {
  return `/stacks/${encodeURIComponent(ref.name)}/${encodeURIComponent(ref.id)}`;
}

export class HeatClient {
  /** How long a create whose answer was lost is looked for before it is sent again (ms). */
  private readonly lostAnswerWindowMs: number;

  constructor(
    private readonly session: KeystoneSession,
    private readonly logger?: Logger,
    options: { requestTimeoutMs?: number } = {},
  ) {
    this.lostAnswerWindowMs = Math.max(1000, 2 * (options.requestTimeoutMs ?? 30_000));
  }

  private call(method: 'GET' | 'POST' | 'DELETE', path: string, what: string, json?: unknown, extra: Pick<HttpRequest, 'beforeRetry' | 'resendUncertain'> = {}) {
    return this.session.request('orchestration', { method, path, what, json, ...extra });
  }

  /**
   * Creates the stack, or adopts the one an earlier attempt made. Heat does not keep names unique
   * when creates of one name overlap (its check and its insert are apart, seconds apart on a busy
   * engine), so a create that had to be sent again ends by deleting any twin Heat made of it.
   */
  async create(req: CreateRequest): Promise<StackRef> {
    const lost = { count: 0, resent: false };
    const ref = await this.send(req, lost);
    if (lost.count > 0 || lost.resent) await this.dropTwins(ref);
    return ref;
  }

  /** `lost.count`: creates whose outcome stayed unknown; `lost.resent`: the HTTP client sent one again (after a cut connection or a 5xx). */
  private async send(req: CreateRequest, lost: { count: number; resent: boolean }): Promise<StackRef> {
    const what = `heat: create stack ${req.name}`;
    const body: Record<string, unknown> = {
      stack_name: req.name,
      template: req.template,
      parameters: declaredParameters(req.template, req.parameters),
      timeout_mins: Math.max(1, Math.ceil(req.timeoutSeconds / 60)),
      // Keep a failed stack as it is: its resources and events explain the failure, and the
      // orchestrator deletes it when it gives up.
      disable_rollback: true,
    };
    // The deployment goes with the stack as a tag, so another deployment in the project can tell it is not its own.
    if (req.deployment) body.tags = deploymentTag(req.deployment);
    if (req.environment) body.environment = req.environment;
    if (req.files && Object.keys(req.files).length) body.files = req.files;
    // Heat answers a create whose trust Keystone refused with a bare 500; ask Keystone why before
    // retrying, so an application credential that can never work fails at once and in words.
    const explain500 = async () => {
      const refusal = await this.session.trustRefusal();
      if (refusal) throw refusal;
    };
    for (let attempt = 0; ; attempt++) {
      let res: HttpResponse;
      try {
        // Not sent again blindly: Heat makes two stacks of one name when two creates overlap, so
        // whether a create without an answer was acted on is found out first (afterLostAnswer).
        res = await this.call('POST', '/stacks', what, body, { resendUncertain: false });
        if ((res.attempts ?? 1) > 1) lost.resent = true;
      } catch (error) {
        // No answer: Heat may have made the stack all the same. Sending the create again is safe (a
        // stack of that name answers 409 and is adopted), but first give Heat a moment and look.
        if (!isUncertain(error, what)) throw error;
        const found = await this.afterLostAnswer(req.name, what, error as ProviderError, ++lost.count);
        if (found) return found;
        continue;
      }
      if (res.status === 201 || res.status === 200) {
        const id = (res.body as { stack?: { id?: string } } | null)?.stack?.id;
        if (!id) throw new ProviderError('INTERNAL', 'The cloud gave an unexpected answer; the operator can find the details in the log.', `${what}: no stack id in the answer`);
        this.logger?.info({ stack: req.name, id }, 'heat: stack create accepted');
        return { id, name: req.name };
      }
      if (res.status === 409) {
        const adopted = await this.adopt(req.name, what, res, attempt < NAME_RELEASE_ATTEMPTS);
        if (adopted) return adopted;
        await new Promise((r) => setTimeout(r, NAME_RELEASE_WAIT_MS));
        continue;
      }
      if (res.status >= 500) {
        await explain500();
        // The last of the client's attempts failed, but an earlier one (or this one, behind a proxy
        // that lost Heat's answer) may have made the stack: the same as no answer.
        const found = await this.afterLostAnswer(req.name, what, toProviderError(res, { what }), ++lost.count);
        if (found) return found;
        continue;
      }
      throw toProviderError(res, { what, badRequest: 'TEMPLATE_INVALID' });
    }
  }

  /**
   * A create whose outcome is unknown: the stack if Heat has it (an earlier attempt got through), null
   * to send the create again. A create Heat is still working on when stacklab stops waiting lands
   * later, so the name is looked up for a while (twice the request time limit) before the create is
   * sent again. After LOST_CREATE_ATTEMPTS the create fails, but first anything of that name is
   * deleted, so that the orchestrator's failover to the next cloud never leaves a second stack of the
   * same lab behind (if even that fails, the reconciler removes it as a zombie).
   */
  private async afterLostAnswer(name: string, what: string, error: ProviderError, lost: number): Promise<StackRef | null> {
    this.logger?.warn({ stack: name, lost, detail: error.detail }, 'heat: create without an answer; looking the stack up by name');
    const until = Date.now() + this.lostAnswerWindowMs;
    const every = Math.min(1000, this.lostAnswerWindowMs / 4);
    do {
      await new Promise((r) => setTimeout(r, every));
      const existing = await this.showByName(name, STATUS_ONLY).catch(() => undefined);
      if (existing && !existing.stack_status.startsWith('DELETE_')) {
        this.logger?.info({ stack: name, id: existing.id, status: existing.stack_status }, 'heat: the create got through after all; adopting the stack');
        return { id: existing.id, name };
      }
    } while (Date.now() < until);
    if (lost < LOST_CREATE_ATTEMPTS) return null;
    await this.deleteAllNamed(name).catch((cleanup: unknown) =>
      this.logger?.warn({ stack: name, err: cleanup }, 'heat: could not remove what a failed create may have left; the reconciler will'),
    );
    throw new ProviderError(error.code, error.userMessage, `${what}: no answer from Heat after ${lost} attempts: ${error.detail}`, { cause: error });
  }

  /** The stacks Heat holds under `name` and is not deleting (more than one only after overlapping creates). */
  async listNamed(name: string): Promise<HeatStackSummary[]> {
    const what = `heat: list stacks named ${name}`;
    const res = await this.call('GET', `/stacks?${new URLSearchParams({ name })}`, what);
    if (res.status !== 200) throw toProviderError(res, { what });
    return ((res.body as { stacks?: HeatStackSummary[] }).stacks ?? []).filter((s) => s.stack_name === name && !s.stack_status.startsWith('DELETE_'));
  }

  /** After a create sent more than once: any other stack of the name is a twin of `keep`, and goes. */
  private async dropTwins(keep: StackRef): Promise<void> {
    const twins = await this.listNamed(keep.name).catch((err: unknown) => {
      this.logger?.warn({ stack: keep.name, err }, 'heat: cannot list the stacks of this name to find twins; the reconciler will');
      return [];
    });
    for (const twin of twins.filter((t) => t.id !== keep.id)) {
      this.logger?.warn({ stack: keep.name, keep: keep.id, twin: twin.id }, 'heat: two creates of one name both got through; deleting the twin');
      await this.delete({ id: twin.id, name: keep.name }).catch((err: unknown) => this.logger?.warn({ stack: keep.name, err }, 'heat: could not delete the twin; the reconciler will'));
    }
  }

  private async deleteAllNamed(name: string): Promise<void> {
    const named = await this.listNamed(name);
    for (const stack of named) await this.delete({ id: stack.id, name });
    // Heat's list can lag behind a stack just made: ask by name too.
    if (named.length === 0) await this.delete({ id: '', name });
  }

  /**
   * A create that met an existing stack of the same name: an earlier attempt of ours got through,
   * so that stack is the answer. A relaunch can also meet the previous stack of the same name,
   * which Heat keeps for a few seconds after DELETE_COMPLETE: then null means "wait, try again".
   */
  private async adopt(name: string, what: string, conflict: HttpResponse, mayWait: boolean): Promise<StackRef | null> {
    const existing = await this.showByName(name, STATUS_ONLY);
    if (!existing) return mayWait ? null : Promise.reject(toProviderError(conflict, { what }));
    if (existing.stack_status === 'DELETE_COMPLETE' && mayWait) return null;
    if (existing.stack_status.startsWith('DELETE_')) {
      throw new ProviderError('CONFLICT', 'The previous environment of this lab is still being deleted; please try again in a moment.', `${what}: a stack of that name is ${existing.stack_status}`);
    }
    this.logger?.info({ stack: name, id: existing.id, status: existing.stack_status }, 'heat: stack already exists, adopting it');
    return { id: existing.id, name };
  }

  /**
   * The stack by name and id, or null when Heat does not know it. `outputs: false` asks Heat not to
   * resolve the outputs (resolve_outputs, Heat 7.0+): resolving them reads every server's attributes
   * from Nova, which makes a show of ten servers several times slower, and a status read does not need them.
   */
  async show(ref: StackRef, opts: ShowOptions = {}): Promise<HeatStack | null> {
    if (!ref.id) return this.showByName(ref.name, opts);
    const what = `heat: show stack ${ref.name}`;
    const res = await this.call('GET', `${stackPath(ref)}${opts.outputs === false ? '?resolve_outputs=False' : ''}`, what);
    if (res.status === 404) return null;
    if (res.status === 302) return this.followRedirect(res, what, opts);
    if (res.status !== 200) throw toProviderError(res, { what });
    return (res.body as { stack: HeatStack }).stack;
  }

  /** By name Heat answers 302 to /stacks/<name>/<id>; a deleted stack's name answers 404. */
  async showByName(name: string, opts: ShowOptions = {}): Promise<HeatStack | null> {
    const what = `heat: find stack ${name}`;
    const res = await this.call('GET', `/stacks/${encodeURIComponent(name)}`, what);
    if (res.status === 404) return null;
    if (res.status === 302 || res.status === 301 || res.status === 303) return this.followRedirect(res, what, opts);
    if (res.status !== 200) throw toProviderError(res, { what });
    return (res.body as { stack: HeatStack }).stack;
  }

  private async followRedirect(res: HttpResponse, what: string, opts: ShowOptions): Promise<HeatStack | null> {
    const location = res.headers.get('location') ?? '';
    const m = /\/stacks\/([^/?#]+)\/([^/?#]+)\/?(?:[?#].*)?$/.exec(location);
    if (!m) throw toProviderError(res, { what: `${what}: redirect to an unexpected place (${location})` });
    return this.show({ name: decodeURIComponent(m[1]), id: decodeURIComponent(m[2]) }, opts);
  }

  /**
   * Starts suspend or resume; Heat answers at once and reports the outcome in stack_status. When the
   * answer is lost, or a retry of ours meets the action it already started (409, or 400 "in
   * progress"), the stack itself tells whether the action is under way.
   */
  async action(ref: StackRef, action: 'suspend' | 'resume'): Promise<void> {
    const what = `heat: ${action} stack ${ref.name}`;
    let res: HttpResponse;
    try {
      res = await this.call('POST', `${stackPath(ref)}/actions`, what, { [action]: null });
    } catch (error) {
      if (isUncertain(error, what) && (await this.underway(ref, action))) return;
      throw error;
    }
    if (res.status === 200 || res.status === 202 || res.status === 204) return;
    if ((res.status === 409 || res.status === 400 || res.status >= 500) && (await this.underway(ref, action))) return;
    throw toProviderError(res, { what });
  }

  /** Whether the stack is in `action`, in progress or done (a failed one is not taken for ours). */
  private async underway(ref: StackRef, action: 'suspend' | 'resume'): Promise<boolean> {
    const now = await this.show(ref, STATUS_ONLY).catch(() => null);
    const status = now?.stack_status ?? '';
    return status === `${action.toUpperCase()}_IN_PROGRESS` || status === `${action.toUpperCase()}_COMPLETE`;
  }

  async delete(ref: StackRef): Promise<void> {
    // Looked at first: asking Heat to delete a stack it is already deleting makes it cancel that delete
    // (the stack reads DELETE_FAILED "Stack DELETE cancelled" until the new one starts) and start over,
    // which a worker taking over a killed worker's delete then read as a failed delete.
    // A stack known by id that the look-up does not show (a twin Heat lists but does not show yet) is
    // still asked for: a 404 is as good as a delete.
    const found = await this.show(ref, STATUS_ONLY);
    if (found && (found.stack_status === 'DELETE_IN_PROGRESS' || found.stack_status === 'DELETE_COMPLETE')) return;
    if (!found && !ref.id) return;
    const target = found ? { id: found.id, name: ref.name } : ref;
    const what = `heat: delete stack ${ref.name}`;
    const res = await this.call('DELETE', stackPath(target), what);
    if (res.status === 204 || res.status === 200 || res.status === 202 || res.status === 404) return;
    if (res.status === 409) {
      // Already being deleted is what we asked for.
      const now = await this.show(target, STATUS_ONLY);
      if (!now || now.stack_status.startsWith('DELETE_')) return;
    }
    throw toProviderError(res, { what });
  }

  /** Every stack of the project (paged), for the caller to filter. */
  async list(): Promise<HeatStackSummary[]> {
    const all: HeatStackSummary[] = [];
    let marker: string | undefined;
    // Heat may cap `limit` below what we ask, so page until an empty page rather than a short one.
    for (let page = 0; page < 10_000; page++) {
      const q = new URLSearchParams({ limit: String(LIST_PAGE), sort_keys: 'created_at', sort_dir: 'asc' });
      if (marker) q.set('marker', marker);
      const res = await this.call('GET', `/stacks?${q}`, 'heat: list stacks');
      if (res.status !== 200) throw toProviderError(res, { what: 'heat: list stacks' });
      const stacks = (res.body as { stacks: HeatStackSummary[] }).stacks ?? [];
      all.push(...stacks);
      if (stacks.length === 0) break;
      marker = stacks[stacks.length - 1].id;
    }
    return all;
  }

  /** The newest failure events of a stack's resources, nested stacks included. */
  async failedEvents(ref: StackRef): Promise<HeatEvent[]> {
    const q = new URLSearchParams({ resource_status: 'FAILED', sort_dir: 'desc', sort_keys: 'created_at', limit: '20', nested_depth: '3' });
    const res = await this.call('GET', `${stackPath(ref)}/events?${q}`, `heat: events of ${ref.name}`);
    if (res.status !== 200) throw toProviderError(res, { what: `heat: events of ${ref.name}` });
    return (res.body as { events: HeatEvent[] }).events ?? [];
  }

  async resources(ref: StackRef): Promise<HeatResource[]> {
    const res = await this.call('GET', `${stackPath(ref)}/resources?nested_depth=3`, `heat: resources of ${ref.name}`);
    if (res.status !== 200) throw toProviderError(res, { what: `heat: resources of ${ref.name}` });
    return (res.body as { resources: HeatResource[] }).resources ?? [];
  }

  /** Heat's own template check: a list of problems, empty when the template is fine. */
  async validate(req: Pick<CreateRequest, 'template' | 'environment' | 'files' | 'parameters'>): Promise<string[]> {
    const body: Record<string, unknown> = { template: req.template, parameters: declaredParameters(req.template, req.parameters ?? {}) };
    if (req.environment) body.environment = req.environment;
    if (req.files && Object.keys(req.files).length) body.files = req.files;
    const res = await this.call('POST', '/validate', 'heat: validate template', body);
    if (res.status === 200) return [];
    if (res.status === 400) {
      const err = (res.body as { error?: { message?: string } } | null)?.error;
      return [err?.message ?? res.text.slice(0, 500)];
    }
    throw toProviderError(res, { what: 'heat: validate template' });
  }
}
