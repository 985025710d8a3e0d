/**
 * Shelving a suspended stack's servers through Nova, and waking them, as steps (provider.ts, point 7):
 * each call reads every OS::Nova::Server of the stack (Heat's resource list, nested stacks included),
 * asks Nova for what each one still needs, and reports where they all are.
 *
 * Heat knows nothing of shelving: the stack stays SUSPEND_COMPLETE while its servers are shelved. Nova
 * shelves a SUSPENDED server directly (its API reference: the status must be ACTIVE, SHUTOFF, PAUSED or
 * SUSPENDED), so the servers Heat suspended are shelved as they are. Unshelving brings a server back
 * ACTIVE, not SUSPENDED; the orchestrator then resumes the stack with Heat, whose resume skips servers
 * that are already ACTIVE (heat/engine/resources/openstack/nova/server.py, handle_resume), so the stack
 * ends RESUME_COMPLETE with the same servers: same ids, ports, addresses, volumes and key pair.
 *
 * Offloading: Nova offloads a shelved server by itself after `shelved_offload_time` (0, the default:
 * at once; -1: never). Where the operator set it otherwise, `shelve_offload: true` asks for it with
 * shelveOffload, which Nova's default policy keeps for admins: a 403 is logged once and the servers are
 * left SHELVED, which is as far as a member can take them.
 */
import type { Logger } from 'pino';
import type { DormancyProgress, StackRef } from '../provider.ts';
import type { HeatClient } from './heat-client.ts';
import type { KeystoneSession } from './keystone-session.ts';
import { openStackMessage, toProviderError } from './openstack-errors.ts';

interface NovaServerBody {
  id: string;
  status: string;
  'OS-EXT-STS:task_state'?: string | null;
  fault?: { message?: string };
}

interface Server {
  resource: string;
  id: string;
  status: string;
  /** Nova is working on it (shelving, spawning, ...): wait, ask for nothing. */
  busy: boolean;
  fault?: string;
}

/** Nova's record of one request on a server (os-instance-actions), with its steps from microversion 2.51. */
interface InstanceAction {
  action: string;
  message: string | null;
  events?: Array<{ event: string; result: string | null }>;
}

const SHELVABLE = new Set(['ACTIVE', 'SUSPENDED', 'SHUTOFF', 'PAUSED']);
const SHELVED = new Set(['SHELVED', 'SHELVED_OFFLOADED']);
/** Longer than any shelve task timeout (an unshelve is over, one way or the other, by then). */
const UNSHELVE_MEMORY_MS = 6 * 3600_000;

export class NovaDormancy {
  /** Set when the cloud refused shelveOffload (403): shelved servers are then as far as they go. */
  private offloadRefused = false;
  /**
   * The unshelves this process asked for, by server id: Nova's request id, to learn how each ended, and
   * when it was asked. An unshelve whose stack went elsewhere (deleted, taken over by another worker,
   * timed out) is never seen to end here: entries older than an unshelve can take are dropped.
   */
  private readonly unshelves = new Map<string, { requestId: string; at: number }>();

  constructor(
    private readonly session: KeystoneSession,
    private readonly heat: HeatClient,
    private readonly options: { offload: boolean },
    private readonly logger: Logger,
  ) {}

  /** One step of shelving: COMPLETE once every server is shelved (offloaded where asked and allowed). */
  async shelve(ref: StackRef): Promise<DormancyProgress> {
    const servers = await this.servers(ref);
    const failed = servers.find((s) => s.status === 'ERROR');
    if (failed) return { status: 'FAILED', reason: `server ${failed.resource} is in ERROR${failed.fault ? `: ${failed.fault}` : ''}` };
    let done = 0;
    for (const server of servers) {
      if (server.busy) continue;
      if (server.status === 'SHELVED_OFFLOADED' || (server.status === 'SHELVED' && !this.wantsOffload())) done++;
      else if (server.status === 'SHELVED') await this.offload(ref, server);
      else if (SHELVABLE.has(server.status)) await this.action(ref, server, 'shelve');
    }
    if (done === servers.length) return { status: 'COMPLETE', reason: `${done} server(s) shelved` };
    return { status: 'IN_PROGRESS', reason: `${done} of ${servers.length} server(s) shelved` };
  }

  /** One step of waking: COMPLETE once no server is shelved (they are ACTIVE; the stack is resumed next). */
  async unshelve(ref: StackRef): Promise<DormancyProgress> {
    const servers = await this.servers(ref);
    const failed = servers.find((s) => s.status === 'ERROR');
    if (failed) return { status: 'FAILED', reason: `server ${failed.resource} is in ERROR${failed.fault ? `: ${failed.fault}` : ''}` };
    let waiting = 0;
    for (const server of servers) {
      if (server.busy) waiting++;
      else if (SHELVED.has(server.status)) {
        // Back on the shelf with nothing in progress after this process asked: Nova's unshelve ended,
        // and failed. Asking again would loop until the operation's timeout; say why instead.
        const asked = this.unshelves.get(server.id);
        const failure = asked ? await this.unshelveFailure(ref, server, asked.requestId) : null;
        if (failure) {
          this.unshelves.delete(server.id);
          return failure;
        }
        const requestId = await this.action(ref, server, 'unshelve');
        if (requestId) this.remember(server.id, requestId);
        waiting++;
      }
    }
    if (waiting === 0) {
      for (const server of servers) this.unshelves.delete(server.id);
      return { status: 'COMPLETE', reason: `${servers.length} server(s) out of the shelf` };
    }
    return { status: 'IN_PROGRESS', reason: `${servers.length - waiting} of ${servers.length} server(s) out of the shelf` };
  }

  private remember(serverId: string, requestId: string): void {
    const now = Date.now();
    for (const [id, asked] of this.unshelves) if (now - asked.at > UNSHELVE_MEMORY_MS) this.unshelves.delete(id);
    this.unshelves.set(serverId, { requestId, at: now });
  }

  private wantsOffload(): boolean {
    return this.options.offload && !this.offloadRefused;
  }

  private async offload(ref: StackRef, server: Server): Promise<void> {
    const res = await this.post(ref, server, 'shelveOffload');
    if (res.status === 403) {
      this.offloadRefused = true;
      this.logger.warn(
        { stack: ref.name, server: server.resource, reason: openStackMessage(res) },
        "nova: shelveOffload refused (admin-only by Nova's default policy); shelved servers stay SHELVED until the cloud offloads them (shelved_offload_time); set shelve_offload: false to stop asking",
      );
      return;
    }
    this.check(res, ref, server, 'shelveOffload');
  }

  /** Asks Nova to act on a server; Nova's request id for the action, to look up how it ended. */
  private async action(ref: StackRef, server: Server, action: 'shelve' | 'unshelve'): Promise<string | null> {
    const res = await this.post(ref, server, action);
    this.check(res, ref, server, action);
    this.logger.info({ stack: ref.name, server: server.resource, from: server.status }, `nova: ${action} requested`);
    return res.status === 202 ? res.headers.get('x-openstack-request-id') ?? res.headers.get('x-compute-request-id') : null;
  }

  /**
   * How an unshelve this process asked for ended, from Nova's instance action of that request: null
   * when it did not fail (or Nova no longer knows it), else the failed step. A failed
   * `schedule_instances` event is the scheduler finding no host with room: the cloud is full, not the
   * stack broken. Events need microversion 2.51 for a project member (no traceback either way).
   */
  private async unshelveFailure(ref: StackRef, server: Server, requestId: string): Promise<DormancyProgress | null> {
    const what = `nova: show the unshelve action of server ${server.resource} of ${ref.name}`;
    const res = await this.session.request('compute', {
      method: 'GET',
      path: `/servers/${encodeURIComponent(server.id)}/os-instance-actions/${encodeURIComponent(requestId)}`,
      headers: { 'OpenStack-API-Version': 'compute 2.51' },
      what,
    });
    if (res.status === 404) return null;
    if (res.status !== 200) throw toProviderError(res, { what });
    const action = (res.body as { instanceAction?: InstanceAction }).instanceAction;
    const failed = (action?.events ?? []).filter((e) => e.result === 'Error').map((e) => e.event);
    if (action?.message !== 'Error' && failed.length === 0) return null;
    this.logger.warn({ stack: ref.name, server: server.resource, request: requestId, failed }, 'nova: unshelve failed');
    if (failed.includes('schedule_instances')) {
      return { status: 'FAILED', cause: 'NO_ROOM', reason: `Nova's scheduler found no host with room for server ${server.resource}` };
    }
    return { status: 'FAILED', reason: `Nova could not unshelve server ${server.resource}${failed.length ? ` (failed: ${failed.join(', ')})` : ''}` };
  }

  private post(ref: StackRef, server: Server, action: string) {
    return this.session.request('compute', {
      method: 'POST',
      path: `/servers/${encodeURIComponent(server.id)}/action`,
      what: `nova: ${action} server ${server.resource} of ${ref.name}`,
      json: { [action]: null },
    });
  }

  /** Accepted, or a 409 (Nova is already acting on the server, or another worker asked first): the next step sees. */
  private check(res: { status: number }, ref: StackRef, server: Server, action: string): void {
    if (res.status === 202 || res.status === 200 || res.status === 204 || res.status === 409) return;
    throw toProviderError(res as Parameters<typeof toProviderError>[0], { what: `nova: ${action} server ${server.resource} of ${ref.name}` });
  }

  private async servers(ref: StackRef): Promise<Server[]> {
    const resources = (await this.heat.resources(ref)).filter((r) => r.resource_type === 'OS::Nova::Server' && r.physical_resource_id);
    const out: Server[] = [];
    for (const r of resources) {
      const what = `nova: show server ${r.resource_name} of ${ref.name}`;
      const res = await this.session.request('compute', { method: 'GET', path: `/servers/${encodeURIComponent(r.physical_resource_id)}`, what });
      if (res.status !== 200) throw toProviderError(res, { what });
      const body = (res.body as { server: NovaServerBody }).server;
      out.push({ resource: r.resource_name, id: body.id, status: body.status, busy: Boolean(body['OS-EXT-STS:task_state']), fault: body.fault?.message });
    }
    return out;
  }
}
