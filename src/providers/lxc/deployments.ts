/**
 * Software deployments run in their servers, as Heat's agents run them there: heat-config hands the
 * config to the script hook (heat-agents: heat-config/os-refresh-config/configure.d/55-heat-config,
 * heat-config-script/install.d/hook-script.py), which writes it to a file in its working folder,
 * runs it with each input as an environment variable and `heat_outputs_path` set, reads each
 * declared output back from `$heat_outputs_path.<name>`, and signals Heat with those, the script's
 * stdout, stderr and exit code; Heat fails the deployment on a non-zero exit code or on an
 * `error_output` written (heat/engine/service_software_config.py, signal_software_deployment).
 * Here the host runs the config in the container (lxc-attach) and reads the same answer back
 * directly, so no agent, credentials or signal URL are needed in the image.
 */
import { createHash } from 'node:crypto';
import { sq } from './cloud-config.ts';
import { runCaptured, type Captured } from './exec.ts';
import type { DeploymentPlan } from './plan.ts';

/** heat-config-script's folders (HEAT_SCRIPT_WORKING, HEAT_SCRIPT_OUTPUTS). */
const WORKING_DIR = '/var/lib/heat-config/heat-config-script';
const OUTPUTS_DIR = '/var/run/heat-config/heat-config-script';
/** The environment os-collect-config runs hooks with, in essence (the host's own is not passed in). */
/** The image's unit that runs the user_data's scripts and runcmd at first boot (images.ts). */
const FIRST_BOOT_UNIT = 'stacklab-final.service';
const BASE_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', 'LANG=C.UTF-8'];

export type DeploymentResult = Record<string, unknown>;

export interface DeploymentsContext {
  containersDir: string;
  deployments: DeploymentPlan[];
  /** The stack action that runs them (CREATE, SUSPEND, RESUME, DELETE): only deployments that list it run. */
  action: string;
  /** deploy_stack_id: Heat's `<stack name>/<stack id>`. */
  stackPath: string;
  deadline: number;
  signal: AbortSignal;
  /** The deployment's input values, resolved with the results of those it follows. */
  inputsOf(deployment: DeploymentPlan, results: Record<string, DeploymentResult>): Record<string, unknown>;
  log: { warn(obj: object, msg?: string): void };
  stackName: string;
}

/** A deployment that failed, as Heat says it (`message`) and as the learner's launch says it (`userMessage`). */
export class DeploymentError extends Error {
  constructor(
    readonly userMessage: string,
    detail: string,
  ) {
    super(detail);
    this.name = 'DeploymentError';
  }
}

/**
 * Runs the deployments that list `ctx.action`, each once those it follows have run, and gives back
 * what each returned. One server runs its deployments one at a time, in the order they were planned
 * (Heat's agent runs a server's configs one after the other); different servers' run at once. The
 * first failure rejects at once; NO_SIGNAL deployments take their turn but are not waited for and
 * give nothing back, as in Heat.
 */
export async function runDeployments(ctx: DeploymentsContext): Promise<Record<string, DeploymentResult>> {
  const results: Record<string, DeploymentResult> = {};
  /** Settles when Heat would have the deployment COMPLETE (or failed). */
  const done = new Map<string, Promise<void>>();
  /** Per server: settles when the last deployment queued there has run (however it ended). */
  const turns = new Map<string, Promise<void>>();
  // Planned in dependency order: what a deployment follows is already in `done`.
  for (const d of ctx.deployments) {
    const before = ctx.deployments.filter((x) => d.after.includes(x.owner)).map((x) => done.get(x.resource)!);
    const previous = turns.get(d.container) ?? Promise.resolve();
    let endTurn!: () => void;
    turns.set(d.container, new Promise<void>((resolve) => (endTurn = resolve)));
    done.set(d.resource, (async () => {
      let running: Promise<DeploymentResult> | undefined;
      try {
        await Promise.all(before);
        await previous;
        if (!d.actions.includes(ctx.action)) return;
        if (ctx.signal.aborted) throw new DeploymentError('The lab was deleted while it was being created.', 'aborted');
        const inputs = inputsOf(ctx, d, results);
        // Kept for the actions after this one (SUSPEND, RESUME), which run with the same values.
        d.inputs = inputs;
        running = runInServer(ctx, d, inputs);
        if (d.signalTransport === 'NO_SIGNAL') {
          running.then(
            (r) => failureOf(d, r) && ctx.log.warn({ stack: ctx.stackName, deployment: d.resource, reason: failureOf(d, r) }, 'NO_SIGNAL deployment failed (not waited for, as in Heat)'),
            (err: Error) => ctx.log.warn({ stack: ctx.stackName, deployment: d.resource, err: err.message }, 'NO_SIGNAL deployment could not run'),
          ).finally(endTurn);
          return;
        }
        const result = await running;
        const failure = failureOf(d, result);
        if (failure) throw failed(d, failure, String(result.deploy_stderr ?? ''));
        results[d.resource] = result;
      } finally {
        if (d.signalTransport !== 'NO_SIGNAL' || !running) endTurn();
      }
    })());
  }
  // The first failure is the answer at once (the stack fails); the others may go on until the
  // stack is deleted, their own failures then of no interest.
  const all = [...done.values()];
  for (const p of all) p.catch(() => {});
  await Promise.all(all);
  return results;
}

/** The deployment's input values; one that cannot be resolved from what ran before fails the deployment. */
function inputsOf(ctx: DeploymentsContext, d: DeploymentPlan, results: Record<string, DeploymentResult>): Record<string, unknown> {
  try {
    return ctx.inputsOf(d, results);
  } catch (err) {
    const why = (err as Error).message.slice(0, 300);
    throw new DeploymentError(`Software deployment ${d.resource}: its input values could not be resolved from the deployments before it: ${why}`, `resources.${d.owner}: input_values: ${why}`);
  }
}

/** Heat's status reason for a deployment's answer, or null when it succeeded. */
export function failureOf(d: DeploymentPlan, result: DeploymentResult): string | null {
  const reasons: string[] = [];
  const code = result.deploy_status_code;
  if (code !== 0 && code !== undefined && code !== null && String(code) !== '0') reasons.push(`deploy_status_code : Deployment exited with non-zero status code: ${String(code)}`);
  for (const o of d.outputs) if (o.errorOutput && Object.hasOwn(result, o.name)) reasons.push(`${o.name} : ${String(result[o.name])}`);
  return reasons.length ? reasons.join(', ') : null;
}

function failed(d: DeploymentPlan, reason: string, stderr: string): DeploymentError {
  const lines = stderr.trim().split('\n').filter((l) => l.trim());
  const tail = lines.slice(-3).join(' | ').slice(-300);
  return new DeploymentError(
    `Software deployment ${d.resource} on server ${d.server} failed: ${reason}${tail ? `; its stderr ends: ${tail}` : ''}`,
    `resources.${d.owner}: Deployment to server failed: ${reason}`,
  );
}

/** The id heat-config names the run's files by: Heat's derived config, one per deployment and action. */
function runId(d: DeploymentPlan, action: string): string {
  const h = createHash('sha256').update(`${d.id}/${action}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

async function runInServer(ctx: DeploymentsContext, d: DeploymentPlan, inputs: Record<string, unknown>): Promise<DeploymentResult> {
  const id = runId(d, ctx.action);
  const script = `${WORKING_DIR}/${id}`;
  const outputsPath = `${OUTPUTS_DIR}/${id}`;
  const attach = (command: string[], input?: string) =>
    runCaptured('lxc-attach', ['-P', ctx.containersDir, '-n', d.container, '--clear-env', ...BASE_ENV.flatMap((v) => ['--set-var', v]), '--', ...command], {
      input,
      timeoutMs: Math.max(1000, ctx.deadline - Date.now()),
      signal: ctx.signal,
    });
  const must = (what: string, r: Captured) => {
    if (r.code !== 0) throw new DeploymentError(`Software deployment ${d.resource} could not be handed to server ${d.server}.`, `resources.${d.owner}: ${what} in ${d.container}: exit ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
  };
  const env = deploymentEnvironment(d, inputs, ctx.action, ctx.stackPath);
  if (env.skipped.length) ctx.log.warn({ stack: ctx.stackName, deployment: d.resource, inputs: env.skipped }, 'inputs whose names are not environment variable names are not passed to the script');
  // The config and its environment are files only root reads (as heat-config keeps them); the
  // environment file goes once read, and no value is on a command line other users could see.
  must('writing the config', await attach(['/bin/sh', '-c', 'umask 077 && mkdir -p "$1" "$2" && cat > "$3" && chmod 700 "$3"', 'sh', WORKING_DIR, OUTPUTS_DIR, script], d.config));
  must('writing its inputs', await attach(['/bin/sh', '-c', 'umask 077 && cat > "$1"', 'sh', `${script}.env`], [...env.lines, `heat_outputs_path=${sq(outputsPath)}`].join('\n') + '\n'));
  // After the server's user_data has run (its first-boot unit: starting it waits for a run in
  // progress, and does nothing when it is done or there is none), as where the agent comes with the
  // user_data (Heat's boot-config) and a deployment may need what the user_data installed.
  const run = await attach(['/bin/sh', '-c', `systemctl start ${FIRST_BOOT_UNIT} >/dev/null 2>&1; cd "$1" && set -a && . "$2" && set +a && rm -f "$2" && exec "$3"`, 'sh', WORKING_DIR, `${script}.env`, script]);
  if (ctx.signal.aborted) throw new DeploymentError('The lab was deleted while it was being created.', 'aborted');
  if (run.code === null) throw new DeploymentError(`Software deployment ${d.resource} on server ${d.server} did not finish in time.`, `resources.${d.owner}: the config was still running at the stack's deadline`);
  const result: DeploymentResult = {};
  if (d.outputs.length) {
    // Each output file there (a script may write only some) as "<index> <base64>", so any content comes back whole.
    const read = await attach(['/bin/sh', '-c', 'i=0; for n; do if [ -f "$0.$n" ]; then printf "%s " "$i"; base64 -w0 < "$0.$n"; echo; fi; i=$((i+1)); done', outputsPath, ...d.outputs.map((o) => o.name)]);
    must('reading its outputs', read);
    for (const line of read.stdout.split('\n').filter(Boolean)) {
      const [i, b64 = ''] = line.split(' ');
      result[d.outputs[Number(i)].name] = Buffer.from(b64, 'base64').toString('utf8');
    }
  }
  return { ...result, deploy_stdout: run.stdout, deploy_stderr: run.stderr, deploy_status_code: run.code };
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The script's environment as shell assignments: the config's declared inputs (a value given, else
 * the input's default), then the other input values, then Heat's derived `deploy_*` inputs; `skipped`
 * are names no shell variable can have.
 */
export function deploymentEnvironment(d: DeploymentPlan, inputs: Record<string, unknown>, action: string, stackPath: string): { lines: string[]; skipped: string[] } {
  const rest = { ...inputs };
  const pairs: [string, string][] = [];
  for (const i of d.declaredInputs) {
    const value = Object.hasOwn(rest, i.name) ? rest[i.name] : (i.default ?? null);
    delete rest[i.name];
    pairs.push([i.name, envValue(value, i.type)]);
  }
  for (const [k, v] of Object.entries(rest)) pairs.push([k, envValue(v, 'String')]);
  pairs.push(['deploy_server_id', d.serverId], ['deploy_action', action], ['deploy_stack_id', stackPath], ['deploy_resource_name', d.name], ['deploy_signal_transport', d.signalTransport]);
  const lines: string[] = [];
  const skipped: string[] = [];
  for (const [k, v] of pairs) {
    if (ENV_NAME.test(k)) lines.push(`${k}=${sq(v)}`);
    else skipped.push(k);
  }
  return { lines, skipped };
}

/**
 * An input value as the hook puts it in the environment: a String input as Python's str() of it
 * (heat-config turns them so; a map or list is given as JSON, where Python would give its repr), a
 * map or list of another type as json.dumps writes it, anything else as text.
 */
export function envValue(value: unknown, type: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return type === 'String' ? (value ? 'True' : 'False') : String(value);
  if (value === null || value === undefined) return type === 'String' ? 'None' : '';
  if (typeof value === 'object') return pythonJson(value);
  return String(value);
}

/** JSON with the separators of Python's json.dumps (", " and ": "), non-ASCII escaped as it does. */
function pythonJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (typeof value === 'object' && value !== null) return `{${Object.entries(value).map(([k, v]) => `${pythonJson(k)}: ${pythonJson(v)}`).join(', ')}}`;
  return (JSON.stringify(value) ?? 'null').replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
