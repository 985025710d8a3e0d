/**
 * The local runtime: runs a HOT template as LXC system containers on this host (see
 * docs/local-runtime.md). create() evaluates and plans synchronously, so a template the runtime
 * cannot run is refused before anything exists, then builds in the background; get() reads the
 * state file. Suspend freezes every container of the stack, resume thaws them.
 *
 * Each deployment on the host has its own folder (`<dataDir>/deployments/<id>`: state files,
 * containers) and acts only on stacks found there, plus the stacks it was given by name from before
 * deployments existed (the legacy `<dataDir>/stacks`). Images and the reservations that keep host
 * names and addresses unique are shared by every deployment (state.ts).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeploymentId } from '../../domain/deployment.ts';
import { isLegacyStackName, isOwnStackName } from '../stack-names.ts';
import { ProviderError, STACK_NAME_PREFIX, type CreateRequest, type Provider, type ProviderStack, type ProviderStackSummary, type StackRef } from '../provider.ts';
import { buildPlan, PlanError, type PlanResult } from './build-plan.ts';
import { prepareStack, problemsOf, formatProblem } from './evaluator.ts';
import { checkLxcHost } from './host-check.ts';
import { reclaimOrphanTables } from './nft-owner.ts';
import { fillKeyPool } from './keys.ts';
import { ensureIdRange } from './idmap.ts';
import { ensureHostNetwork } from './network.ts';
import { isImageBuilt } from './images.ts';
import { intToIp, parseCidr } from './ipv4.ts';
import { conntrackZone, shortIdCandidate } from './names.ts';
import { uuidFor } from './plan-support.ts';
import { parseLxcOptions, type LxcProviderOptions, type LxcSettings } from './options.ts';
import { freezeContainer, rebootContainer, thawContainer } from './containers.ts';
import { processAlive, StateStore, type StackState } from './state.ts';
import { buildStack, runActionDeployments, StackBuildError, teardownStack, type OpLogger } from './stack-ops.ts';
import { validateForLxc } from './validate.ts';

export { lxcProviderOptions, type LxcProviderOptions } from './options.ts';

/** `identity.deployment`: whose stacks this provider makes and sees (its own folder under the data dir). */
export function createLxcProvider(name: string, options: LxcProviderOptions, logger: OpLogger, identity: { deployment: string }): Provider {
  if (!isDeploymentId(identity.deployment)) throw new Error(`lxc provider ${name}: '${identity.deployment}' is not a deployment id`);
  return new LxcProvider(name, parseLxcOptions(options), logger, identity.deployment);
}

/** Where a stack's state file was found: the deployment's own folder, or the shared one of before deployments. */
interface Located {
  store: StateStore;
  state: StackState;
}

class LxcProvider implements Provider {
  readonly kind = 'lxc';
  /** This deployment's stacks. */
  private readonly store: StateStore;
  /** Stacks created before deployments existed, in the shared folder; reached only by their (legacy) names. */
  private readonly legacy: StateStore;
  private readonly building = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private ready?: Promise<void>;

  constructor(
    readonly name: string,
    readonly settings: LxcSettings,
    private readonly log: OpLogger,
    readonly deployment: string,
  ) {
    this.store = new StateStore(settings.dataDir, deploymentDir(settings, deployment));
    this.legacy = new StateStore(settings.dataDir);
    void fillKeyPool().catch(() => {});
  }

  private init(): Promise<void> {
    this.ready ??= (async () => {
      const check = await checkLxcHost();
      if (!check.ok) throw new ProviderError('PRIVILEGES', 'The local lab runtime is not available on this server.', `lxc provider ${this.name}: ${check.reason}`);
      await this.store.init();
      // The labs' id range is settled before any lab is built, so a bad /etc/subuid says so at once.
      await ensureIdRange().catch((err: Error) => {
        throw new ProviderError('UNAVAILABLE', 'The local lab runtime is not available on this server.', `lxc provider ${this.name}: ${err.message}`, { cause: err });
      });
      await ensureHostNetwork(this.settings);
    })().catch((err) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  async create(req: CreateRequest): Promise<StackRef> {
    if (req.deployment !== undefined && req.deployment !== this.deployment)
      throw new ProviderError('INTERNAL', 'The lab could not be created.', `lxc provider ${this.name} serves deployment ${this.deployment}, not ${req.deployment}`);
    await this.init();
    const ref = { id: req.name, name: req.name };
    if (await this.locate(req.name)) return ref;
    let evaluation;
    try {
      evaluation = prepareStack(req.template, { environment: req.environment, parameters: req.parameters, ...(req.files ? { files: req.files } : {}) });
    } catch (err) {
      throw invalid(problemsOf(err)?.map(formatProblem) ?? [(err as Error).message], err);
    }
    const shortId = this.reserveShortId(req.name);
    const state: StackState = {
      name: req.name, shortId, createdAt: new Date().toISOString(), action: 'CREATE', status: 'IN_PROGRESS',
      reason: 'Stack CREATE started', pid: process.pid, allowInternet: req.options?.allowInternet === true, deployment: this.deployment,
    };
    if (!(await this.store.createExclusive(state))) {
      // Another create of the same name won the race; it owns the stack.
      if ((await this.store.read(req.name))?.shortId !== shortId) {
        await this.store.release('id', shortId);
        await this.store.release('zone', String(conntrackZone(shortId)));
      }
      return ref;
    }
    let planned: PlanResult;
    try {
      planned = buildPlan({ stackName: req.name, stackId: req.name, shortId, evaluation, settings: this.settings, allocatePublicIp: () => this.allocatePublicIp(req.name) });
      const missing = [...new Set(planned.plan.servers.map((s) => s.image))].filter((i) => !isImageBuilt(this.settings, i));
      if (missing.length)
        throw new ProviderError('UNAVAILABLE', 'This lab cannot start yet: its server image is not built on this host.', `image(s) ${missing.join(', ')} not built under ${this.settings.dataDir}; run "stacklab image build ${missing[0]}"`);
    } catch (err) {
      await this.forget(this.store, req.name, shortId);
      if (err instanceof ProviderError) throw err;
      if (err instanceof PlanError) throw invalid(err.problems.map(formatProblem), err);
      throw invalid(problemsOf(err)?.map(formatProblem) ?? [(err as Error).message], err);
    }
    state.plan = planned.plan;
    await this.store.write(state);
    for (const note of planned.plan.notes) this.log.info({ stack: req.name }, note);
    const abort = new AbortController();
    const deadline = Date.now() + Math.min(req.timeoutSeconds, this.settings.bootTimeoutSeconds + 600) * 1000;
    const done = this.build(state, planned, abort.signal, deadline).finally(() => this.building.delete(req.name));
    this.building.set(req.name, { abort, done });
    return ref;
  }

  private async build(state: StackState, planned: PlanResult, signal: AbortSignal, deadline: number): Promise<void> {
    const started = Date.now();
    try {
      const built = await buildStack({
        settings: this.settings, containersDir: this.store.containersDir, plan: planned.plan, allowInternet: state.allowInternet,
        deadline, signal, log: this.log, stackName: state.name, deployment: this.deployment, stackPath: `${state.name}/${state.name}`, deploymentInputs: planned.deploymentInputs,
      });
      const outputs = planned.outputs(built.waitData, built.deployments);
      if (signal.aborted) return;
      await this.store.write({ ...state, status: 'COMPLETE', reason: 'Stack CREATE completed successfully', outputs });
      this.log.info({ stack: state.name, ms: Date.now() - started, servers: planned.plan.servers.length }, 'lxc stack created');
    } catch (err) {
      if (signal.aborted) return;
      const userMessage = err instanceof StackBuildError ? err.userMessage : 'The lab could not be built on the local runtime.';
      this.log.error({ stack: state.name, err: (err as Error).message }, 'lxc stack create failed');
      await this.store.write({ ...state, status: 'FAILED', reason: `${userMessage} (${(err as Error).message.slice(0, 300)})` });
    }
  }

  async get(ref: StackRef): Promise<ProviderStack | null> {
    await this.init();
    // Looked up before reading the file: a build that ends in between has written its result.
    const buildingHere = this.building.has(ref.name);
    const s = (await this.locate(ref.name))?.state;
    if (!s) return null;
    let { status, reason } = s;
    let interrupted = false;
    if (status === 'IN_PROGRESS' && !buildingHere && s.pid !== process.pid && !processAlive(s.pid)) {
      [status, interrupted] = ['FAILED', true];
      reason = `Stack ${s.action} was interrupted (the stacklab process that ran it stopped); delete the stack and launch again`;
    } else if (status === 'IN_PROGRESS' && s.action === 'CREATE' && s.pid === process.pid && !buildingHere) {
      [status, interrupted] = ['FAILED', true];
      reason = 'Stack CREATE was interrupted; delete the stack and launch again';
    }
    const outputs = status === 'COMPLETE' || s.action !== 'CREATE' ? (s.outputs ?? {}) : {};
    return { id: s.name, name: s.name, action: s.action, status, reason, outputs, ...(interrupted ? { cause: 'INTERRUPTED' as const } : {}) };
  }

  async suspend(ref: StackRef): Promise<void> {
    await this.changePower(ref, 'SUSPEND');
  }

  async resume(ref: StackRef): Promise<void> {
    await this.changePower(ref, 'RESUME');
  }

  private async changePower(ref: StackRef, action: 'SUSPEND' | 'RESUME'): Promise<void> {
    await this.init();
    const found = await this.locate(ref.name);
    if (!found) throw new ProviderError('NOT_FOUND', 'This lab no longer exists.', `lxc: ${action.toLowerCase()} ${ref.name}: no such stack`);
    const { store, state: s } = found;
    const frozen = s.action === 'SUSPEND' && s.status === 'COMPLETE';
    if ((action === 'SUSPEND' && frozen) || (action === 'RESUME' && !frozen && s.status === 'COMPLETE' && s.action !== 'DELETE')) return;
    if (s.status === 'IN_PROGRESS' && s.action === 'CREATE' || s.action === 'DELETE' || !s.plan)
      throw new ProviderError('CONFLICT', 'The lab is busy; try again in a moment.', `lxc: ${action.toLowerCase()} ${ref.name}: stack is ${s.action} ${s.status}`);
    const op = action === 'SUSPEND' ? freezeContainer : thawContainer;
    await store.write({ ...s, action, status: 'IN_PROGRESS', reason: `Stack ${action} started`, pid: process.pid });
    try {
      if (action === 'SUSPEND') await runActionDeployments(store.containersDir, s.plan, s.name, action, this.log);
      await Promise.all(s.plan.servers.map((srv) => op(store.containersDir, srv.container)));
      if (action === 'RESUME') await runActionDeployments(store.containersDir, s.plan, s.name, action, this.log);
      await store.write({ ...s, action, status: 'COMPLETE', reason: `Stack ${action} completed successfully`, pid: process.pid });
    } catch (err) {
      const msg = action === 'SUSPEND' ? 'The lab could not be suspended.' : 'The lab could not be resumed.';
      await store.write({ ...s, action, status: 'FAILED', reason: `${msg} (${(err as Error).message.slice(0, 300)})`, pid: process.pid });
      throw new ProviderError('INTERNAL', msg, `lxc: ${action.toLowerCase()} ${ref.name}: ${(err as Error).message}`, { cause: err });
    }
  }

  async delete(ref: StackRef): Promise<void> {
    await this.init();
    const running = this.building.get(ref.name);
    if (running) {
      running.abort.abort();
      await running.done.catch(() => {});
    }
    const found = await this.locate(ref.name);
    if (!found && !isOwnStackName(ref.name, this.deployment) && !isLegacyStackName(ref.name)) {
      // Not in this deployment's folder and not a name it gives: another deployment's, whose
      // reservations (shared on the host) must not lead this delete to its links and containers.
      this.log.warn({ stack: ref.name, deployment: this.deployment }, 'lxc: delete of a stack that is not this deployment\'s: nothing done');
      return;
    }
    const store = found?.store ?? this.store;
    const s = found?.state;
    // Reservations also find a stack whose create crashed before its state file was written.
    const shortIds = new Set(await store.reservationsOf('id', ref.name));
    if (s) {
      shortIds.add(s.shortId);
      await store.write({ ...s, action: 'DELETE', status: 'IN_PROGRESS', reason: 'Stack DELETE started', pid: process.pid });
    }
    try {
      // An old-named stack whose state file is gone may have its containers in either folder.
      const dirs = found || !isLegacyStackName(ref.name) ? [store.containersDir] : [this.store.containersDir, this.legacy.containersDir];
      for (const short of shortIds) for (const dir of dirs) await teardownStack(this.settings, dir, short, s?.shortId === short ? s.plan : undefined, this.deployment);
      for (const short of shortIds) await this.forget(store, ref.name, short);
    } catch (err) {
      if (s) await store.write({ ...s, action: 'DELETE', status: 'FAILED', reason: `The lab could not be deleted (${(err as Error).message.slice(0, 300)})`, pid: process.pid });
      throw new ProviderError('INTERNAL', 'The lab could not be deleted; an operator has to look at it.', `lxc: delete ${ref.name}: ${(err as Error).message}`, { cause: err });
    }
  }

  async list(): Promise<ProviderStackSummary[]> {
    await this.init();
    const own = (await this.store.list()).map((s) => ({ ...s, deployment: s.deployment ?? this.deployment }));
    const legacy = (await this.legacy.list()).filter((s) => isLegacyStackName(s.name));
    return [...own, ...legacy]
      .filter((s) => s.name.startsWith(STACK_NAME_PREFIX))
      .map((s) => ({ id: s.name, name: s.name, action: s.action, status: s.status, createdAt: new Date(s.createdAt), deployment: s.deployment }));
  }

  async validate(req: Pick<CreateRequest, 'template' | 'environment' | 'files' | 'parameters'>): Promise<string[]> {
    return validateForLxc(req.template, { environment: req.environment, parameters: req.parameters, files: req.files, provider: this.settings }).map(formatProblem);
  }

  async rebootServers(ref: StackRef, servers: string[]): Promise<void> {
    await this.init();
    const found = await this.locate(ref.name);
    const plan = found?.state.plan;
    if (!found || !plan) throw new ProviderError('NOT_FOUND', 'This lab no longer exists.', `lxc: reboot ${ref.name}: no such stack`);
    // hastexo's templates list `{get_resource: server}`, the server's id (here derived from the resource).
    const chosen = plan.servers.filter((x) => servers.includes(x.name) || servers.includes(x.resource) || servers.includes(uuidFor(ref.name, x.resource)));
    await Promise.all(chosen.map((x) => rebootContainer(found.store.containersDir, x.container)));
  }

  /** This deployment's firewall tables that no stack of it holds (nft-owner.ts). */
  async reclaimLeftovers(): Promise<string[]> {
    await this.init();
    return reclaimOrphanTables(this.deployment, this.store);
  }

  async close(): Promise<void> {
    for (const b of this.building.values()) await b.done.catch(() => {});
  }

  private reserveShortId(stackName: string): string {
    for (let attempt = 0; attempt < 50; attempt++) {
      const id = shortIdCandidate(stackName, attempt);
      if (!reserveSync(join(this.settings.dataDir, 'reservations', 'id', id), stackName)) continue;
      // The stack's conntrack zone (security-groups.ts) is the id's too: another id with the same zone is tried.
      if (reserveSync(join(this.settings.dataDir, 'reservations', 'zone', String(conntrackZone(id))), stackName)) return id;
      rmSync(join(this.settings.dataDir, 'reservations', 'id', id), { force: true });
    }
    throw new ProviderError('INTERNAL', 'The lab could not be created.', 'lxc: no free short id after 50 attempts');
  }

  private allocatePublicIp(owner: string): string {
    const range = parseCidr(this.settings.publicCidr);
    // The first address is the host's end of the public bridge.
    for (let n = range.first + 1; n <= range.last; n++) {
      const ip = intToIp(n);
      if (reserveSync(join(this.settings.dataDir, 'reservations', 'ip', ip), owner)) return ip;
    }
    throw new ProviderError('QUOTA_EXCEEDED', 'The local runtime has no public address left; try again when other labs end.', `lxc: public range ${this.settings.publicCidr} is exhausted`);
  }

  /** The stack's state file: in this deployment's folder, or (legacy names only) in the shared one. */
  private async locate(name: string): Promise<Located | null> {
    const own = await this.store.read(name);
    if (own) return { store: this.store, state: own };
    if (!isLegacyStackName(name)) return null;
    const old = await this.legacy.read(name);
    return old ? { store: this.legacy, state: old } : null;
  }

  /** Drops the state file and every reservation of the stack. */
  private async forget(store: StateStore, stackName: string, shortId: string): Promise<void> {
    for (const ip of await store.reservationsOf('ip', stackName)) await store.release('ip', ip);
    await store.release('id', shortId);
    for (const zone of await store.reservationsOf('zone', stackName)) await store.release('zone', zone);
    await store.remove(stackName);
  }
}

/** The folder of one deployment's stacks and containers on this host. */
export function deploymentDir(settings: LxcSettings, deployment: string): string {
  return join(settings.dataDir, 'deployments', deployment);
}

function reserveSync(path: string, owner: string): boolean {
  try {
    writeFileSync(path, owner, { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

function invalid(problems: string[], cause: unknown): ProviderError {
  return new ProviderError('TEMPLATE_INVALID', `The lab's template cannot run on the local runtime: ${problems[0]}`, `lxc: template refused: ${problems.slice(0, 10).join('; ')}${problems.length > 10 ? ` (and ${problems.length - 10} more)` : ''}`, { cause });
}
