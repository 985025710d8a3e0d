/**
 * Progress checks of a learner's stack: start (or join) a run, bring the stack to READY first (resuming a
 * suspended one), run the lab's scripts over SSH, store the attempt, and announce the grade on
 * `check.completed` for LMS grade passback. The HTTP routes and the lab page only call this.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import type { LabCatalog } from '../domain/lab-catalog.ts';
import type { Clock } from '../infra/clock.ts';
import type { DomainEvents } from '../infra/events.ts';
import type { StackService } from '../services/stack-service.ts';
import type { Lab } from '../domain/lab.ts';
import type { Stack } from '../domain/stack.ts';
import { SHELVED_TIER } from '../domain/states.ts';
import { AppError } from '../errors/api-errors.ts';
import { UserFacingError } from '../errors/user-facing-error.ts';
import { CheckStore, type CheckRun } from './check-store.ts';
import { runChecks } from './run-checks.ts';
import { gradeOf } from './score.ts';
import { labSshTarget, type SshTarget } from './ssh-target.ts';
import { inEnglish, sentence } from '../errors/sentence.ts';

export interface CheckDeps {
  db: Database;
  logger: Logger;
  labs: LabCatalog;
  stacks: StackService;
  events: DomainEvents;
  clock: Clock;
}

/** States from which a check can bring the stack to READY by waiting and/or resuming. */
const REACHABLE = new Set([
  'READY',
  'LAUNCH_PENDING',
  'CREATING',
  'SUSPEND_PENDING',
  'SUSPENDING',
  'SUSPENDED',
  'SUSPEND_FAILED',
  'RESUME_PENDING',
  'RESUMING',
  'RESUME_FAILED',
  ...SHELVED_TIER,
]);

/** States a check wakes the stack from (resume, or unshelve for the shelved tier) before it runs. */
const DORMANT = new Set(['SUSPENDED', 'SUSPEND_FAILED', 'RESUME_FAILED', 'SHELVE_PENDING', 'SHELVED', 'SHELVE_FAILED', 'UNSHELVE_FAILED']);

/** Why a check run could not start, in words for the learner; the detail goes to the log. */
/** Why a progress check could not run (the log's `code`); docs/errors.md is generated from this table. */
export const CHECK_RUN_FAILURES = {
  'no-address': 'The stack has no address to check yet.',
  'not-ready': 'The stack did not become ready within the check’s wait.',
  'not-running': 'The stack failed to launch, is deleted or is being deleted: a check cannot bring it up; the learner launches it again.',
  'resume-failed': 'The check woke the dormant stack twice (resume or unshelve) and it did not come back.',
} as const satisfies Record<string, string>;
type CheckRunFailure = keyof typeof CHECK_RUN_FAILURES;
class RunError extends UserFacingError<CheckRunFailure> {}

export interface CheckStatus {
  /** The newest run (running or finished), or null before the first one. */
  latest: CheckRun | null;
  /** The grade per the lab's policy over all completed attempts, or null before the first one. */
  grade: number | null;
  gradePolicy: 'best' | 'latest';
  attempts: number;
}

function newRunId(): string {
  return randomBytes(12).toString('base64url');
}

export class CheckService {
  readonly store: CheckStore;
  /** Runs carried out by this process, by run id: a joining request in the same process awaits it directly. */
  private readonly inflight = new Map<string, Promise<CheckRun>>();

  constructor(private readonly deps: CheckDeps) {
    this.store = new CheckStore(deps.db);
  }

  private lab(stack: Stack): Lab {
    const lab = this.deps.labs.get(stack.lab);
    if (!lab) throw new AppError('LAB_NOT_FOUND', `lab '${stack.lab}' of stack ${stack.id} is not loaded`);
    if (lab.checks.length === 0) throw new AppError('BAD_REQUEST', `lab '${lab.id}' has no checks`, { message: sentence('error.BAD_REQUEST.noChecks') });
    return lab;
  }

  /** Starts a check run on the stack, or joins the one already running. Returns at once; see `wait`. */
  async start(stackId: string, actor: string): Promise<{ run: CheckRun; joined: boolean }> {
    const stack = await this.deps.stacks.get(stackId);
    const lab = this.lab(stack);
    if (!REACHABLE.has(stack.state)) {
      throw new AppError('INVALID_STATE', `check on stack ${stackId} in state ${stack.state}`, {
        message: sentence('error.INVALID_STATE.checkNotRunning'),
      });
    }
    const now = this.deps.clock.now();
    const budgetSeconds = lab.timeouts.launch + lab.timeouts.check + 60;
    const { run, joined } = await this.store.begin({
      id: newRunId(),
      stackId,
      learner: stack.learner,
      context: stack.context,
      lab: stack.lab,
      actor,
      now,
      deadline: new Date(now.getTime() + budgetSeconds * 1000),
    });
    if (!joined) {
      const done = this.execute(run, lab).finally(() => this.inflight.delete(run.id));
      this.inflight.set(run.id, done);
    }
    return { run, joined };
  }

  /** Waits for a run to finish (in this process or another) and returns it as stored. */
  async wait(runId: string, timeoutMs: number): Promise<CheckRun> {
    const local = this.inflight.get(runId);
    if (local) await Promise.race([local, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await this.store.get(runId);
      if (!run) throw new AppError('NOT_FOUND', `check run ${runId}`);
      if (run.status !== 'running' || Date.now() > deadline) return run;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Start (or join) and wait: what the CLI and the tests use. */
  async run(stackId: string, actor: string, timeoutMs?: number): Promise<CheckRun> {
    const { run } = await this.start(stackId, actor);
    return this.wait(run.id, timeoutMs ?? run.deadline.getTime() - run.startedAt.getTime());
  }

  async status(stackId: string): Promise<CheckStatus> {
    const stack = await this.deps.stacks.get(stackId);
    const lab = this.deps.labs.get(stack.lab);
    const policy = lab?.gradePolicy ?? 'best';
    const [latest] = await this.store.forStack(stackId, 1);
    const attempts = await this.store.attempts(stack);
    const grade = gradeOf(
      attempts.map((a) => a.score ?? 0),
      policy,
    );
    return { latest: latest ?? null, grade, gradePolicy: policy, attempts: attempts.length };
  }

  private async execute(run: CheckRun, lab: Lab): Promise<CheckRun> {
    const log = this.deps.logger.child({ stackId: run.stackId, checkRun: run.id, lab: lab.id });
    let target: SshTarget | undefined;
    try {
      const stack = await this.ready(run.stackId, lab, run.actor);
      if (!stack.publicIp) throw new RunError('no-address', sentence('check.run.noAddress'), 'stack has no public_ip');
      const secrets = await this.deps.stacks.secrets(stack.id);
      target = labSshTarget(stack.publicIp, lab, secrets);
      const outcome = await runChecks(target, lab.checks, { checkSeconds: lab.timeouts.check, remoteExecSeconds: lab.timeouts.remoteExec });
      const finished = await this.store.complete(run.id, outcome, this.deps.clock.now());
      if (!finished) return (await this.store.get(run.id)) ?? run;
      log.info({ passed: outcome.passed, total: outcome.total, score: outcome.score }, 'progress check completed');
      // A failing listener (grade passback) must not turn a finished check into an error.
      await this.announce(finished, lab).catch((error: unknown) => log.error({ err: error }, 'check.completed listener failed'));
      return finished;
    } catch (error) {
      const userMessage = error instanceof UserFacingError ? error.message : inEnglish(sentence('check.run.failed'));
      log.warn(error instanceof UserFacingError ? { code: error.code, detail: error.detail ?? error.message } : { err: error }, 'progress check failed to run');
      return (await this.store.fail(run.id, userMessage, this.deps.clock.now())) ?? run;
    } finally {
      target?.close();
    }
  }

  /** Brings the stack to READY: resumes a suspended one and waits, as a learner coming back would. */
  private async ready(stackId: string, lab: Lab, actor: string): Promise<Stack> {
    const deadline = Date.now() + lab.timeouts.launch * 1000;
    for (let resumes = 0; ; ) {
      const stack = await this.deps.stacks.get(stackId);
      const remaining = deadline - Date.now();
      if (stack.state === 'READY') {
        // Checking is learner activity: it pushes the idle suspend back.
        return this.deps.stacks.keepalive(stackId, actor).catch(() => stack);
      }
      if (remaining <= 0) throw new RunError('not-ready', sentence('check.run.notReady'), `stack is still ${stack.state}`);
      if (!REACHABLE.has(stack.state)) throw new RunError('not-running', sentence('check.run.notRunning'), `stack is ${stack.state}`);
      if (stack.state === 'SUSPEND_PENDING') {
        await this.deps.stacks.keepalive(stackId, actor);
      } else if (DORMANT.has(stack.state)) {
        if (++resumes > 2) throw new RunError('resume-failed', sentence('check.run.resumeFailed'), `resume failed: ${stack.error ?? stack.state}`);
        await this.deps.stacks.requestResume(stackId, actor);
      } else {
        await this.deps.stacks.waitForState(stackId, ['READY', 'SUSPENDED', 'SHELVED'], remaining).catch(() => undefined);
      }
    }
  }

  private async announce(run: CheckRun, lab: Lab): Promise<void> {
    const attempts = await this.store.attempts(run);
    const grade = gradeOf(
      attempts.map((a) => a.score ?? 0),
      lab.gradePolicy,
    );
    // `score` is the grade per the lab's policy (best or latest), what the LMS should hold; passed/total are this attempt's.
    this.deps.events.emit('check.completed', {
      stackId: run.stackId,
      learner: run.learner,
      context: run.context,
      lab: run.lab,
      score: grade ?? run.score ?? 0,
      maxScore: 1,
      passed: run.passed ?? 0,
      total: run.total ?? 0,
      at: run.finishedAt ?? this.deps.clock.now(),
      attemptId: run.id,
    });
  }
}
