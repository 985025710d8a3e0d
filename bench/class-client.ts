/**
 * The learners of bench/class-open.bench.ts, in a process of their own so that their pages do not share
 * the server's event loop. Each learner, at its moment of the class, does what the lab page does after
 * the LTI launch: opens the lab (GET), launches it (POST), waits for the stack's next status while it
 * starts (the page's long-poll, `waitSeconds` a request, web/status-wait.ts; after a failed wait, or with
 * `waitSeconds` 0, it polls every `pollMs`, the page's 1.5 s), asks for a connection once READY and
 * opens the gateway's terminal, until the shell's prompt shows. Prints one JSON line per learner, then
 * `{"done":true}`.
 *
 * Usage: node --import tsx bench/class-client.ts < plan.json   ({base, lab, pollMs, waitSeconds, startAt, learners: [{learner, session, atMs}]})
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { PROMPT, Terminal, learnerApi, readStdin } from './terminal-socket.ts';

interface Plan {
  base: string;
  lab: string;
  pollMs: number;
  /** Seconds each status request waits for a change (the page's 20 while a lab starts); 0: poll only, as before issue 21. */
  waitSeconds: number;
  /** Epoch ms the class starts at (the bench process's clock: the same host). */
  startAt: number;
  learners: { learner: string; session: string; atMs: number }[];
}

/** The learner API's stack view, what the lab page reads (shared with pool-terminal-heat.bench.ts). */
export interface View {
  id: string;
  phase: string;
  state: string;
  stateChangedAt: string;
  version?: string;
  error: string | null;
}

export interface LearnerTiming {
  learner: string;
  stackId?: string;
  /** From the click: the launch answered, READY on the server (its state change), READY seen by the page, the prompt shown. */
  launchMs?: number;
  readyServerMs?: number;
  readySeenMs?: number;
  promptMs?: number;
  /** Connections the page had to try again before the prompt showed, and why the last one failed. */
  retries?: number;
  lastRetryCause?: string;
  /** Waiting status requests that failed (the page then polls for a minute), and the last one's cause. */
  waitFailures?: number;
  lastWaitFailure?: string;
  error?: string;
}

const plan = JSON.parse(await readStdin()) as Plan;
const terminals: Terminal[] = [];

async function learner(l: Plan['learners'][number]): Promise<LearnerTiming> {
  await sleep(Math.max(0, plan.startAt + l.atMs - Date.now()));
  const t0 = Date.now();
  const out: LearnerTiming = { learner: l.learner };
  try {
    const path = `/api/v1/me/labs/${encodeURIComponent(plan.lab)}`;
    await learnerApi(plan.base, l.session, 'GET', path);
    let view = await learnerApi<View>(plan.base, l.session, 'POST', `${path}/launch`);
    out.stackId = view.id;
    out.launchMs = Date.now() - t0;
    let pollOnlyUntil = 0;
    while (view.phase !== 'ready') {
      if (view.phase === 'failed' || Date.now() - t0 > 600_000) throw new Error(`stack ${view.state}: ${view.error ?? 'no READY within 600 s'}`);
      if (plan.waitSeconds > 0 && view.version && Date.now() >= pollOnlyUntil) {
        try {
          view = await learnerApi<View>(plan.base, l.session, 'GET', `/api/v1/me/stacks/${view.id}?wait=${plan.waitSeconds}&since=${encodeURIComponent(view.version)}`);
          continue;
        } catch (error) {
          out.waitFailures = (out.waitFailures ?? 0) + 1;
          out.lastWaitFailure = (error as Error).message;
          pollOnlyUntil = Date.now() + 60_000;
        }
      }
      await sleep(plan.pollMs);
      view = await learnerApi<View>(plan.base, l.session, 'GET', `/api/v1/me/stacks/${view.id}`);
    }
    out.readySeenMs = Date.now() - t0;
    out.readyServerMs = Date.parse(view.stateChangedAt) - t0;
    // As the page: a connection that fails (the server may still be booting after READY) is tried
    // again after 1 s, then 2 s, 4 s... up to 10 s, and the attempts are counted.
    for (let delay = 1000; ; delay = Math.min(delay * 2, 10_000)) {
      try {
        const terminal = await Terminal.open(plan.base, l.session, view.id);
        terminals.push(terminal);
        await terminal.waitFor(PROMPT, 120_000);
        break;
      } catch (error) {
        out.retries = (out.retries ?? 0) + 1;
        out.lastRetryCause = (error as Error).message;
        if (Date.now() - t0 > 300_000) throw error;
        await sleep(delay);
      }
    }
    out.promptMs = Date.now() - t0;
  } catch (error) {
    out.error = (error as Error).message;
  }
  process.stdout.write(JSON.stringify(out) + '\n');
  return out;
}

await Promise.all(plan.learners.map(learner));
for (const t of terminals) t.close();
const cpu = process.cpuUsage();
process.stdout.write(JSON.stringify({ done: true, cpuMs: (cpu.user + cpu.system) / 1000 }) + '\n');
process.exit(0);
