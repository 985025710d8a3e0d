/**
 * Building and tearing down one stack on the host, from its plan. Build: networks, then every
 * server prepared and started in parallel, then wait for sshd in each and for the wait conditions.
 * Teardown works from the plan and from the stack's name prefix, so it also cleans a stack whose
 * create crashed half-way.
 */
import { readdir } from 'node:fs/promises';
import { createStackNetwork, deleteStackNetwork, ensureHostNetwork, hostIpOf } from './network.ts';
import { destroyContainer, initPid, prepareContainer, sshdListening, startContainer } from './containers.ts';
import { ensureIdRange } from './idmap.ts';
import { ensureMappedImage } from './images.ts';
import { names } from './names.ts';
import type { LxcSettings } from './options.ts';
import { DeploymentError, runDeployments, type DeploymentResult } from './deployments.ts';
import type { DeploymentPlan, StackPlan } from './plan.ts';
import { ensureSignalServer, forgetToken, readSignals, registerToken } from './signal-server.ts';
import { ensureVolume, isVolumeDir, removeVolume, type MountedVolume } from './volumes.ts';

export interface OpLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export class StackBuildError extends Error {
  constructor(
    readonly userMessage: string,
    detail: string,
  ) {
    super(detail);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface BuildContext {
  settings: LxcSettings;
  containersDir: string;
  plan: StackPlan;
  allowInternet: boolean;
  deadline: number;
  signal: AbortSignal;
  log: OpLogger;
  stackName: string;
  /** The deployment building the stack: named in its firewall tables (nft-owner.ts). */
  deployment?: string;
  /** deploy_stack_id for software deployments: Heat's `<stack name>/<stack id>`. */
  stackPath: string;
  /** A deployment's input values once those it follows have run (PlanResult.deploymentInputs). */
  deploymentInputs(deployment: DeploymentPlan, results: Record<string, DeploymentResult>): Record<string, unknown>;
}

export interface BuildResult {
  /** Each wait condition's signals' data, by resource. */
  waitData: Record<string, Record<string, unknown>>;
  /** What each software deployment gave back, by resource. */
  deployments: Record<string, DeploymentResult>;
}

function checkAbort(signal: AbortSignal): void {
  if (signal.aborted) throw new StackBuildError('The lab was deleted while it was being created.', 'aborted by delete');
}

export async function buildStack(ctx: BuildContext): Promise<BuildResult> {
  const { settings, plan, log } = ctx;
  const t0 = Date.now();
  const phases: Record<string, number> = {};
  const mark = (phase: string) => (phases[phase] = Date.now() - t0);
  await ensureHostNetwork(settings);
  for (const w of plan.waitConditions) await registerToken(settings.dataDir, w.token);
  if (plan.waitConditions.length) void ensureSignalServer(settings.dataDir, hostIpOf(settings), settings.signalPort);
  checkAbort(ctx.signal);
  await createStackNetwork(settings, plan, ctx.allowInternet, ctx.deployment);
  mark('network');
  checkAbort(ctx.signal);
  const range = await ensureIdRange();
  // Ready at once but for the first launch of an image after an upgrade (see image-shift.ts).
  const roots = new Map<string, string>();
  for (const image of new Set(plan.servers.map((s) => s.image))) roots.set(image, await ensureMappedImage(settings, image, range));
  checkAbort(ctx.signal);
  const volumes = new Map<string, MountedVolume>();
  for (const v of plan.volumes ?? []) volumes.set(v.dir, await ensureVolume(ctx.containersDir, v, range));
  if (plan.volumes?.length) mark('volumes');
  checkAbort(ctx.signal);
  await Promise.all(
    plan.servers.map(async (server) => {
      const attached = (server.volumes ?? []).map((a) => ({ ...volumes.get(a.volume)!, device: a.device }));
      const prepared = await prepareContainer(ctx.containersDir, server, roots.get(server.image)!, range, attached);
      if (prepared.ignored.length) log.warn({ stack: ctx.stackName, server: server.resource, ignored: prepared.ignored }, 'user_data keys the local runtime does not apply');
      mark('prepared');
      checkAbort(ctx.signal);
      await startContainer(ctx.containersDir, server.container);
    }),
  );
  mark('started');
  await Promise.all(plan.servers.map((s) => waitForSshd(ctx, s.container, s.resource)));
  mark('sshd');
  // Wait conditions and deployments go on side by side (either may wait for the other in the lab);
  // when one fails, the other stops looking.
  const failed = new AbortController();
  const inner = { ...ctx, signal: AbortSignal.any([ctx.signal, failed.signal]) };
  const stopOthers = (err: unknown) => {
    failed.abort();
    throw err;
  };
  const [waitData, deployments] = await Promise.all([
    waitForConditions(inner).then((d) => (mark('waitConditions'), d), stopOthers),
    runCreateDeployments(inner).then((d) => (mark('deployments'), d), stopOthers),
  ]);
  checkAbort(ctx.signal);
  log.info({ stack: ctx.stackName, phasesMs: phases }, 'lxc stack build phases');
  return { waitData, deployments };
}

async function runCreateDeployments(ctx: BuildContext): Promise<Record<string, DeploymentResult>> {
  const deployments = ctx.plan.deployments ?? [];
  if (!deployments.length) return {};
  try {
    return await runDeployments({
      containersDir: ctx.containersDir, deployments, action: 'CREATE', stackPath: ctx.stackPath, deadline: ctx.deadline,
      signal: ctx.signal, inputsOf: ctx.deploymentInputs, log: ctx.log, stackName: ctx.stackName,
    });
  } catch (err) {
    checkAbort(ctx.signal);
    if (err instanceof DeploymentError) throw new StackBuildError(err.userMessage, err.message);
    throw err;
  }
}

async function waitForSshd(ctx: BuildContext, container: string, resource: string): Promise<void> {
  let pid: number | null = null;
  for (let delay = 20; ; delay = Math.min(delay * 1.5, 250)) {
    checkAbort(ctx.signal);
    pid ??= await initPid(ctx.containersDir, container);
    if (pid && (await sshdListening(pid))) return;
    if (Date.now() > ctx.deadline)
      throw new StackBuildError(`Server ${resource} did not start in time.`, `server ${resource} (${container}): sshd not listening before the deadline; see ${ctx.containersDir}/${container}/lxc.log`);
    await sleep(delay);
  }
}

async function waitForConditions(ctx: BuildContext): Promise<Record<string, Record<string, unknown>>> {
  const data: Record<string, Record<string, unknown>> = {};
  const { settings } = ctx;
  await Promise.all(
    ctx.plan.waitConditions.map(async (w) => {
      const until = Math.min(ctx.deadline, Date.now() + w.timeoutSeconds * 1000);
      for (;;) {
        checkAbort(ctx.signal);
        // Re-try the port: the process that held it may have gone away.
        await ensureSignalServer(settings.dataDir, hostIpOf(settings), settings.signalPort);
        const signals = await readSignals(settings.dataDir, w.token);
        const failed = signals.find((s) => s.status === 'FAILURE');
        if (failed) throw new StackBuildError(`The lab reported a setup failure: ${failed.reason}`, `wait condition ${w.resource}: FAILURE signal: ${failed.reason}`);
        if (signals.length >= w.count) {
          data[w.resource] = Object.fromEntries(signals.map((s) => [s.id, s.data]));
          return;
        }
        if (Date.now() > until)
          throw new StackBuildError('The lab did not finish setting itself up in time.', `wait condition ${w.resource}: ${signals.length}/${w.count} signals before the timeout`);
        await sleep(200);
      }
    }),
  );
  return data;
}

/**
 * The deployments that run at a suspend (before the servers freeze) or a resume (once they run
 * again), as Heat runs a deployment whose `actions` list the stack's action; with the input values
 * they had at create. A failure fails the action, as in Heat.
 */
export async function runActionDeployments(containersDir: string, plan: StackPlan, stackName: string, action: 'SUSPEND' | 'RESUME', log: OpLogger, timeoutSeconds = 600): Promise<void> {
  const deployments = plan.deployments ?? [];
  if (!deployments.some((d) => d.actions.includes(action))) return;
  try {
    await runDeployments({
      containersDir, deployments, action, stackPath: `${stackName}/${stackName}`, deadline: Date.now() + timeoutSeconds * 1000,
      signal: new AbortController().signal, inputsOf: (d) => d.inputs, log, stackName,
    });
  } catch (err) {
    if (err instanceof DeploymentError) throw new StackBuildError(err.userMessage, err.message);
    throw err;
  }
}

/** Removes everything of the stack; idempotent. */
export async function teardownStack(settings: LxcSettings, containersDir: string, shortId: string, plan?: StackPlan, deployment?: string): Promise<void> {
  const prefix = names.prefix(shortId);
  const containers = new Set(plan?.servers.map((s) => s.container) ?? []);
  const volumes = new Set(plan?.volumes?.map((v) => v.dir) ?? []);
  for (const d of await readdir(containersDir).catch(() => [] as string[])) if (d.startsWith(prefix)) (isVolumeDir(prefix, d) ? volumes : containers).add(d);
  await Promise.all([...containers].map((c) => destroyContainer(containersDir, c)));
  // After the servers: their mount namespaces hold the volumes' file systems until they stop.
  for (const v of volumes) await removeVolume(containersDir, v);
  await deleteStackNetwork(prefix, plan, deployment);
  for (const w of plan?.waitConditions ?? []) await forgetToken(settings.dataDir, w.token);
}
