/**
 * The OpenStack provider: stacks are Heat stacks, named by stacklab, in the project the
 * credentials are scoped to. It keeps the contract of ../provider.ts on top of heat-client.ts;
 * capacity, failover and retrying failed operations stay with the orchestrator.
 */
import { pino, type Logger } from 'pino';
import {
  ProviderError,
  STACK_NAME_PREFIX,
  type CreateRequest,
  type GetOptions,
  type ResumeOptions,
  type Provider,
  type ProviderStack,
  type ProviderStackSummary,
  type StackRef,
} from '../provider.ts';
import { deploymentFromTags } from '../stack-names.ts';
import { resolveCloud, type CloudSources } from './cloud-config.ts';
import { HeatClient, STATUS_ONLY } from './heat-client.ts';
import { explainFailure, outputsOf, splitStatus } from './heat-status.ts';
import { HttpClient } from './http-client.ts';
import { KeystoneSession } from './keystone-session.ts';
import { parseOpenStackOptions, type OpenStackProviderOptions, type OpenStackSettings } from './options.ts';
import { toProviderError } from './openstack-errors.ts';
import type { CloudLimiters } from './limiter.ts';
import { NovaDormancy } from './nova-dormancy.ts';
import { defaultShelveAfter, type DormancyPolicy } from '../../domain/dormancy.ts';

export interface OpenStackProvider extends Provider {
  readonly kind: 'openstack';
  /** The cloud's Keystone session (token, catalog); exposed for diagnostics and tests. */
  readonly session: KeystoneSession;
  readonly heat: HeatClient;
  readonly http: HttpClient;
}

export interface OpenStackProviderExtras {
  /** Where to look for clouds.yaml and OS_* variables (tests); default: this process. */
  sources?: CloudSources;
  /** Retry tuning (tests); defaults suit a real cloud. */
  retry?: { retries?: number; baseDelayMs?: number; maxDelayMs?: number };
  /** Shared by the providers built together, so entries for one cloud share its request limit. */
  limiters?: CloudLimiters;
}

export function createOpenStackProvider(
  name: string,
  options: OpenStackProviderOptions,
  logger?: Logger,
  extras: OpenStackProviderExtras = {},
): OpenStackProvider {
  const settings = parseOpenStackOptions(options);
  const log = (logger ?? pino({ enabled: false })).child({ provider: name });
  // Resolved now, so a misconfigured cloud stops the server at start instead of a launch later.
  const cloud = resolveCloud(settings, extras.sources);
  log.info({ source: cloud.source, authUrl: cloud.authUrl, method: cloud.method, region: cloud.region, interface: cloud.interface }, 'openstack: cloud configured');
  const limiter = extras.limiters?.forCloud(cloud.authUrl, cloud.region, settings.concurrency);
  const http = new HttpClient({ timeoutMs: settings.request_timeout_seconds * 1000, concurrency: settings.concurrency, limiter, logger: log, ...extras.retry });
  const session = new KeystoneSession(cloud, http, log);
  const heat = new HeatClient(session, log, { requestTimeoutMs: settings.request_timeout_seconds * 1000 });
  const dormancy = dormancyOf(settings);
  const nova = new NovaDormancy(session, heat, { offload: dormancy.shelveOffload }, log);

  async function mustShow(ref: StackRef, what: string) {
    const stack = await heat.show(ref, STATUS_ONLY);
    if (!stack || stack.stack_status === 'DELETE_COMPLETE') {
      throw new ProviderError('NOT_FOUND', 'The lab environment was not found on the cloud.', `heat: ${what} ${ref.name} (${ref.id}): no such stack`);
    }
    return stack;
  }

  return {
    name,
    kind: 'openstack',
    session,
    heat,
    http,

    create: (req: CreateRequest) => heat.create(req),

    async get(ref: StackRef, opts?: GetOptions): Promise<ProviderStack | null> {
      const stack = await heat.show(ref, opts);
      // Heat shows a deleted stack as DELETE_COMPLETE for a while: it holds nothing, and a wait for
      // another action (a resume whose stack was deleted behind it) must end, not poll it for ever.
      if (!stack || stack.stack_status === 'DELETE_COMPLETE') return null;
      const { action, status } = splitStatus(stack.stack_status);
      let reason = stack.stack_status_reason ?? '';
      if (status === 'FAILED') {
        const events = await heat.failedEvents({ id: stack.id, name: stack.stack_name }).catch((err: unknown) => {
          log.warn({ err, stack: ref.name }, 'heat: cannot read events to explain a failure');
          return [];
        });
        reason = explainFailure(stack, events);
      }
      const outputs = status === 'COMPLETE' && action !== 'DELETE' ? outputsOf(stack) : {};
      return { id: stack.id, name: stack.stack_name, action, status, reason, outputs };
    },

    // Asked without a look first: Heat itself does nothing for a suspended stack, answers 409 for one
    // suspending (action() then sees it under way) and 404 for a deleted one, so a show first would only
    // add a round trip to every suspend. Resume looks first unless the platform knows the stack suspended:
    // Heat fails the resume of a running (CREATE_COMPLETE) stack, while one SUSPEND_COMPLETE resumes and
    // one RESUME_COMPLETE is left as it is (heat/engine/stack.py, Stack.resume).
    suspend: (ref: StackRef) => heat.action(ref, 'suspend'),

    async resume(ref: StackRef, opts?: ResumeOptions): Promise<void> {
      if (opts?.suspended) return heat.action(ref, 'resume');
      const { action, status } = splitStatus((await mustShow(ref, 'resume')).stack_status);
      const running = (action === 'CREATE' || action === 'RESUME') && status !== 'FAILED';
      if (running) return;
      await heat.action(ref, 'resume');
    },

    delete: (ref: StackRef) => heat.delete(ref),

    async list(): Promise<ProviderStackSummary[]> {
      const stacks = await heat.list();
      return stacks
        // Heat lists a deleted stack for a moment before it forgets it; it holds nothing any more.
        .filter((s) => s.stack_name.startsWith(STACK_NAME_PREFIX) && s.stack_status !== 'DELETE_COMPLETE')
        .map((s) => {
          const { action, status } = splitStatus(s.stack_status);
          const deployment = deploymentFromTags(s.tags);
          return { id: s.id, name: s.stack_name, action, status, createdAt: s.creation_time ? new Date(s.creation_time) : undefined, ...(deployment ? { deployment } : {}) };
        });
    },

    validate: (req) => heat.validate(req),

    dormancy,
    ...(dormancy.canShelve ? { shelve: (ref: StackRef) => nova.shelve(ref), unshelve: (ref: StackRef) => nova.unshelve(ref) } : {}),

    async rebootServers(ref: StackRef, servers: string[]): Promise<void> {
      if (servers.length === 0) return;
      const compute = await session.endpoint('compute');
      if (!compute) {
        log.warn({ stack: ref.name, servers }, 'openstack: the catalog has no compute (Nova) endpoint, so servers cannot be rebooted on resume; skipping');
        return;
      }
      const resources = await heat.resources(ref);
      // Names as stacklab's labs write them, or server ids as hastexo's templates yield with {get_resource: server}.
      const wanted = new Set(servers);
      const matches = (r: { resource_name: string; physical_resource_id: string }) => wanted.has(r.resource_name) || wanted.has(r.physical_resource_id);
      const found = resources.filter((r) => r.resource_type === 'OS::Nova::Server' && r.physical_resource_id && matches(r));
      const missing = servers.filter((s) => !found.some((r) => r.resource_name === s || r.physical_resource_id === s));
      if (missing.length) log.warn({ stack: ref.name, missing }, 'openstack: servers to reboot not found in the stack');
      for (const server of found) {
        const what = `nova: reboot server ${server.resource_name} of ${ref.name}`;
        const res = await session.request('compute', {
          method: 'POST',
          path: `/servers/${encodeURIComponent(server.physical_resource_id)}/action`,
          what,
          json: { reboot: { type: 'HARD' } },
        });
        if (res.status !== 202 && res.status !== 200 && res.status !== 204) throw toProviderError(res, { what });
        log.info({ stack: ref.name, server: server.resource_name }, 'nova: hard reboot requested');
      }
    },

    async close(): Promise<void> {},
  };
}

/** The entry's dormancy settings, with the cheapest safe default for shelve_after (domain/dormancy.ts). */
export function dormancyOf(settings: OpenStackSettings): DormancyPolicy {
  const policy = { canShelve: settings.can_shelve, billsSuspended: settings.bills_suspended };
  return {
    ...policy,
    shelveOffload: settings.shelve_offload,
    shelveAfter: settings.shelve_after ?? defaultShelveAfter(policy),
    unshelveEstimate: settings.unshelve_estimate_seconds,
  };
}
