/**
 * Runs a lab's check scripts against a stack and scores them. A check passes when its script exits 0; a
 * failing script's stderr is the hint the learner sees (as in hastexo). Two limits apply: each script gets
 * at most the lab's remote exec timeout, and the whole run at most the lab's check timeout.
 */
import type { LabCheck } from '../domain/lab.ts';
import { runRemoteScript } from './remote-script.ts';
import { scoreResults, type CheckResult, type Score } from './score.ts';
import { LabConnectionError } from '../ssh/lab-connection-error.ts';
import type { SshTarget } from './ssh-target.ts';
import { inEnglish, sentence } from '../errors/sentence.ts';

export interface CheckRunLimits {
  /** The whole run, seconds (lab.timeouts.check). */
  checkSeconds: number;
  /** One script, seconds (lab.timeouts.remoteExec). */
  remoteExecSeconds: number;
}

export interface CheckOutcome extends Score {
  results: CheckResult[];
}

const MAX_HINT = 2_000;

// The framing hints are kept in English (check runs are stored as text); the learner API shows them in
// the learner's language by recognising them (check-view.ts). The lab author's own hints stay as written.
export function timeoutHint(seconds: number): string {
  return inEnglish(sentence('check.hint.timedOut', { seconds }));
}

function hintFor(check: LabCheck, stderr: string): string {
  const text = stderr.trim();
  if (text) return text.length > MAX_HINT ? `${text.slice(0, MAX_HINT)}…` : text;
  return check.hint ?? inEnglish(sentence('check.hint.notPassed', { title: check.title }));
}

/** Runs every check in order; connection problems to one server fail that server's checks, not the run. */
export async function runChecks(
  target: SshTarget,
  checks: readonly LabCheck[],
  limits: CheckRunLimits,
  onResult?: (result: CheckResult) => void,
): Promise<CheckOutcome> {
  const deadline = Date.now() + limits.checkSeconds * 1000;
  const results: CheckResult[] = [];
  for (const [index, check] of checks.entries()) {
    const base = { index, title: check.title, weight: check.weight, ...(check.server ? { server: check.server } : {}) };
    const remainingMs = deadline - Date.now();
    let result: CheckResult;
    if (remainingMs < 1000) {
      result = { ...base, passed: false, timedOut: true, durationMs: 0, hint: inEnglish(sentence('check.hint.outOfTime', { seconds: limits.checkSeconds })) };
    } else {
      const timeoutMs = Math.min(limits.remoteExecSeconds * 1000, remainingMs);
      try {
        const client = await target.client(check.server);
        const run = await runRemoteScript(client, check.script, { timeoutMs });
        const passed = run.exitCode === 0 && !run.timedOut;
        result = {
          ...base,
          passed,
          timedOut: run.timedOut,
          durationMs: run.durationMs,
          ...(passed ? {} : { hint: run.timedOut ? timeoutHint(Math.ceil(timeoutMs / 1000)) : hintFor(check, run.stderr) }),
        };
      } catch (error) {
        // The jump host itself being unreachable makes the whole run meaningless: let the caller report it.
        if (!check.server && error instanceof LabConnectionError) throw error;
        const message = error instanceof LabConnectionError ? error.message : inEnglish(sentence('check.hint.couldNotRun', { error: (error as Error).message }));
        result = { ...base, passed: false, timedOut: false, durationMs: 0, hint: message };
      }
    }
    results.push(result);
    onResult?.(result);
  }
  return { ...scoreResults(results), results };
}
