/**
 * Replays a ClassModel through the real lifecycle code on PostgreSQL or PGlite with an injected clock: the
 * lab pages' keepalives and idle countdown (as web/lab-page.ts and web/activity.ts do them), their departure
 * beacons through the real HTTP route with a real departure token, terminal keystrokes through the
 * gateway's activity signal (src/gateway/activity-signal.ts), the suspender and reaper sweeps, and the
 * worker suspending and resuming on the fake provider. Time moves in steps of STEP seconds; at each step
 * only the learners with something due act (all at once, as a class does), so the cost follows what the
 * class does, not the class size times the steps; nothing waits for real time except the worker's short
 * provider polls.
 *
 * Billed time is read back from the stacks' state history (a server runs from CREATING or RESUMING
 * until SUSPENDED, SHELVED or DELETED); learning time is each session's first to last input.
 */
import type { FastifyInstance } from 'fastify';
import { segments, usageSeconds, type Segment } from '../src/domain/billing.ts';
import type { StackEvent } from '../src/domain/stack.ts';
import { activitySignal, type ActivitySignal } from '../src/gateway/activity-signal.ts';
import { PENDING_STATES } from '../src/domain/states.ts';
import { expectedSoon, type HabitRule } from '../src/domain/habits.ts';
import { HABIT_JOB } from '../src/app/create-context.ts';
import { HABIT_ACTOR } from '../src/services/predictive-resume.ts';
import { issueSession } from '../src/http/session.ts';
import { reaper, suspender } from '../src/services/sweeps.ts';
import type { TestRuntime } from '../test/support/test-runtime.ts';
import type { ClassModel, SessionPlan } from './class-model.ts';
import { phases } from './replay-phases.ts';

export interface Profile {
  name: string;
  idleTimeout: number;
  suspendTimeout: number;
  /** 0: the page sends no departure beacon (or the server ignores it). */
  departureGrace: number;
  suspenderInterval: number;
  keepaliveInterval: number;
  /** Whether terminal keystrokes reach the server's activity ledger through the gateway. */
  gatewayActivity: boolean;
  outputActivity: number;
  /** Habit resume on (`habit_resume`, with its default lead and days); its job runs every 60 s as the runtime runs it. */
  habitResume?: boolean;
}

export interface ReplayResult {
  learningHours: number;
  billedHours: number;
  suspends: number;
  /** Suspends of a learner who still has the lab open and whose last input was less than 5 minutes before. */
  activeSuspends: number;
  /** Suspends before the session's last input: a reading pause longer than the countdown; the learner's next input resumes. */
  pauseSuspends: number;
  beacons: number;
  /** Sessions begun, and how the page found the stack at their start: running, a resume under way, or suspended (the learner waits for the resume). */
  sessions: number;
  foundRunning: number;
  foundResuming: number;
  waited: number;
  /** Habit resume's guesses (its resumes), those the learner did not come to before the stack was suspended again, and their running time. */
  habitResumes: number;
  wrongGuesses: number;
  wrongGuessHours: number;
}

/** Every habit pass is run, not only those where some learner's habit says they are expected (a check that skipping changes nothing). */
const EVERY_HABIT_PASS = process.env.STACKLAB_COST_EVERY_HABIT_PASS === '1';

const STEP = 2;

/** The first step at or after `t` seconds (a hair early, so float noise makes a visit early, which finds nothing due, never late), and after `current`. */
function stepOf(t: number, current: number): number {
  return Math.max(current + 1, Math.ceil((t - 1e-6) / STEP));
}
const ACTIVE_WINDOW = 300;

interface Page {
  lastInput: number;
  lastKeepalive: number;
  open: boolean;
  departureToken: string;
  gateway: ActivitySignal;
}

interface Learner {
  id: string;
  session: string;
  stackId: string;
  lastInput: number;
  /** When the current session's last input comes (replay seconds). */
  sessionEnd: number;
  pages: Page[];
}

export async function replay(rt: TestRuntime, app: FastifyInstance, model: ClassModel, p: Profile): Promise<ReplayResult> {
  const { ctx, clock } = rt;
  // A daily model's rounds start at 00:00 UTC (its offsets are times of day, which habits are about), and
  // so does the replay: the sweeps' schedule then is the same in every run, not moved by the start's second.
  if (model.daily) clock.set(new Date(Math.ceil(clock.now().getTime() / 86_400_000) * 86_400_000));
  const start = clock.now().getTime();
  const sec = () => (clock.now().getTime() - start) / 1000;
  const settings = { batch: 10_000, deleteAttempts: 3, suspendAttempts: 3, retryBackoff: 30 };
  const learners: Learner[] = [];
  const states = new Map<string, string>();
  const pending: Promise<unknown>[] = [];
  const result: ReplayResult = emptyResult();
  const phase = phases(ctx.db);

  const resuming = new Set<string>();
  /**
   * The latest activity the replay sent for each stack, and its departures: no stack can be due before
   * min(activity + suspend timeout, departure + grace), so sweeps before that would find nothing and
   * are skipped (a sweep costs ~25 ms on this machine; running all 260,000 of a month would take hours).
   */
  const lastSent = new Map<string, number>();
  const departed = new Map<string, number>();
  const earliestDue = () => {
    let due = Infinity;
    for (const learner of learners) {
      const state = states.get(learner.stackId);
      if (state !== 'READY' && state !== 'RESUMING' && state !== 'RESUME_PENDING') continue;
      const last = lastSent.get(learner.stackId) ?? -Infinity;
      due = Math.min(due, last + p.suspendTimeout);
      const left = departed.get(learner.stackId);
      if (left !== undefined && left >= last) due = Math.min(due, left + p.departureGrace);
    }
    return due;
  };
  const settle = async () => {
    await Promise.all(launches.splice(0));
    resuming.clear();
    await Promise.all(pending.splice(0));
    await ctx.stacks.activityLedger.drain();
  };
  // What the pages know of their stack's state: every move the services and the worker make is told
  // (stack.transition); the sweeps' bulk moves are read back after each sweep. Listing every stack after
  // each worker turn instead cost a read of the whole class per time step.
  const learnerOf = new Map<string, number>();
  /** Learners whose stack changed state since the last step: their pages look again (a keepalive waits for READY). */
  const changed = new Set<number>();
  const setState = (id: string, state: string) => {
    states.set(id, state);
    const l = learnerOf.get(id);
    if (l !== undefined) changed.add(l);
  };
  const onTransition = (e: { stack: { id: string }; to: string }) => setState(e.stack.id, e.to);
  ctx.events.on('stack.transition', onTransition);
  /**
   * The worker's turn: everything claimable is carried out now (the fake provider answers at once). The
   * replay knows every stack's state, so it stops claiming once none waits for the worker, instead of
   * asking the store once more for nothing: a round trip at almost every step.
   */
  const pendingStates: ReadonlySet<string> = new Set(PENDING_STATES);
  const anyPending = () => {
    for (const state of states.values()) if (pendingStates.has(state)) return true;
    return false;
  };
  const work = async () => {
    for (let round = 0; round < 50; round++) {
      const started = await rt.worker.tick();
      await rt.worker.drain();
      if (started === 0 || !anyPending()) break;
    }
  };
  const launches: Promise<unknown>[] = [];
  const launch = (learner: Learner) =>
    lastSent.set(learner.stackId, sec()) &&
    launches.push(ctx.stacks.launch({ learner: learner.id, context: 'course', lab: 'demo', actor: `learner:${learner.id}` }).then((s) => setState(s.id, s.state)));
  /**
   * A page opening the lab: in a daily model through the lab page's launch route, which records the
   * course visit (the stack's moves are told by its transition events); otherwise through the service.
   */
  const visits = new Map<string, Date[]>();
  const openLab = (learner: Learner) => {
    if (!model.daily) return launch(learner);
    lastSent.set(learner.stackId, sec());
    const own = visits.get(learner.id) ?? [];
    own.push(clock.now());
    visits.set(learner.id, own);
    launches.push(
      app.inject({ method: 'POST', url: '/api/v1/me/labs/demo/launch', headers: { authorization: `Bearer ${learner.session}` } }).then((answer) => {
        if (answer.statusCode !== 200) throw new Error(`launch refused: ${answer.statusCode} ${answer.body}`);
      }),
    );
  };
  /**
   * Whether a habit pass now can resume anything: some learner with a SUSPENDED stack is expected by
   * domain/habits.ts on the visits the pages made. A pass acts on no one else, so skipping the others
   * changes nothing (STACKLAB_COST_EVERY_HABIT_PASS=1 runs them all to check).
   */
  const rule: HabitRule = { leadSeconds: ctx.config.habit_resume_lead, minDays: ctx.config.habit_resume_days };
  const someoneExpected = () => {
    const now = clock.now();
    for (const learner of learners) {
      if (states.get(learner.stackId) !== 'SUSPENDED') continue;
      const own = visits.get(learner.id);
      if (own && own.length >= rule.minDays && expectedSoon(own, now, rule)) return true;
    }
    return false;
  };
  const newPage = async (learner: Learner, t: number): Promise<Page> => {
    const token = await app.inject({ method: 'POST', url: `/api/v1/me/stacks/${learner.stackId}/departure-token`, headers: { authorization: `Bearer ${learner.session}` } });
    return {
      lastInput: t,
      lastKeepalive: t,
      open: true,
      departureToken: token.json<{ token: string }>().token,
      gateway: activitySignal({
        touch: () => {
          lastSent.set(learner.stackId, sec());
          pending.push(ctx.stacks.keepalive(learner.stackId, `learner:${learner.id}`));
        },
        now: () => clock.now().getTime(),
        everyMs: p.keepaliveInterval * 1000,
        outputWindowMs: p.outputActivity * 1000,
      }),
    };
  };
  const leave = async (learner: Learner, page: Page) => {
    if (!page.open) return;
    page.open = false;
    if (p.departureGrace <= 0) return;
    result.beacons++;
    departed.set(learner.stackId, sec());
    // Awaited: the route reads the clock when it handles the beacon, which must be now.
    const answer = await app.inject({ method: 'POST', url: '/api/v1/departures', headers: { 'content-type': 'text/plain' }, payload: page.departureToken });
    if (answer.statusCode !== 204) throw new Error(`departure beacon refused: ${answer.statusCode} ${answer.body}`);
    // The other page of the stack in this browser hears the goodbye and answers 2 s later if active.
    const other = learner.pages.find((o) => o.open && o !== page);
    if (other && sec() - other.lastInput < p.idleTimeout) other.lastKeepalive = -Infinity;
  };

  const enrol = async (l: number): Promise<Learner> => {
    const id = `learner-${l}`;
    const session = await issueSession(ctx.keys, { learner: id, context: 'course', roles: ['Learner'] }, 40 * 86_400);
    const stack = await ctx.stacks.launch({ learner: id, context: 'course', lab: 'demo', actor: `learner:${id}` });
    return { id, session, stackId: stack.id, lastInput: -Infinity, sessionEnd: -Infinity, pages: [] };
  };
  learners.push(...(await Promise.all(Array.from({ length: model.learners }, (_, l) => enrol(l)))));
  await work();
  // The launches above are set-up, not learning: they suspend before the month starts.
  await Promise.all(learners.map((learner) => ctx.stacks.requestSuspend(learner.stackId, 'bench')));
  await work();
  phase.lap('set-up');
  const byStack = new Map(learners.map((learner) => [learner.stackId, learner]));
  learners.forEach((learner, l) => learnerOf.set(learner.stackId, l));
  changed.clear();
  const keepaliveEvery = Math.min(p.keepaliveInterval, p.suspendTimeout / 3);
  const monthStart = clock.now();
  /** When each learner's sessions began (ms), to tell habit resume's right guesses from its wrong ones. */
  const sessionStarts = new Map<string, number[]>(learners.map((learner) => [learner.id, []]));

  for (let round = 0; round < model.gaps.length; round++) {
    const roundStart = sec();
    const plans = learners.map((_, l) => model.sessions[l]![round] ?? null);
    const cursor = plans.map(() => 0);
    const lastOfRound = Math.max(0, ...plans.map((s) => (s ? s.offset + s.duration + (s.closesAfter ?? 0) : 0))) + p.idleTimeout + p.suspendTimeout + 600;
    // A daily round runs to the end of its day: habit resume may guess at any time of it.
    const longest = model.daily ? model.gaps[round]! - STEP : lastOfRound;
    if (lastOfRound > longest + STEP) throw new Error(`round ${round}: its sessions end after the day (${lastOfRound} s)`);
    const began = plans.map(() => false);
    // Each learner is visited at the first step where something of theirs can happen (an input, a page
    // opening or closing, a keepalive falling due) or after their stack's state changed; a visit does
    // what a visit on every step would have done at that step, so skipping the others changes nothing.
    const agenda = new Map<number, number[]>();
    const visitAt = (l: number, step: number) => {
      const list = agenda.get(step);
      if (list) list.push(l);
      else agenda.set(step, [l]);
    };
    plans.forEach((plan, l) => plan && visitAt(l, stepOf(plan.offset, -1)));
    phase.lap('agenda');
    for (let step = 0, t = 0; t <= longest; step++, t = step * STEP) {
      clock.set(new Date(start + (roundStart + t) * 1000));
      const now = sec();
      const due = new Set(agenda.get(step));
      agenda.delete(step);
      for (const l of changed) due.add(l);
      changed.clear();
      // Learners act at once, as a class does: each visit keeps its own order, and their requests overlap.
      const visit = async (l: number) => {
        const learner = learners[l]!;
        const plan: SessionPlan | null = plans[l]!;
        // Not a day of theirs: their stack moved (habit resume, the suspender) with no page open.
        if (!plan) return;
        const local = t - plan.offset;
        if (local < 0) {
          visitAt(l, stepOf(plan.offset, step));
          return;
        }
        if (!began[l]) {
          began[l] = true;
          for (const page of learner.pages) page.open = false;
          const found = states.get(learner.stackId);
          result.sessions++;
          if (found === 'READY') result.foundRunning++;
          else if (found === 'RESUME_PENDING' || found === 'RESUMING') result.foundResuming++;
          else result.waited++;
          sessionStarts.get(learner.id)!.push(clock.now().getTime());
          learner.pages = [await newPage(learner, now)];
          learner.sessionEnd = now + plan.duration;
          openLab(learner);
          result.learningHours += plan.duration / 3600;
        }
        if (plan.second && local >= plan.second.opensAt && learner.pages.length === 1 && plan.second.opensAt < plan.duration) {
          learner.pages.push(await newPage(learner, now));
          openLab(learner);
        }
        if (plan.second && local >= plan.second.firstClosedAt && learner.pages.length === 2) await leave(learner, learner.pages[0]!);
        const ready = states.get(learner.stackId) === 'READY';
        while (cursor[l]! < plan.inputs.length && plan.inputs[cursor[l]!]!.at <= local) {
          const input = plan.inputs[cursor[l]!++]!;
          const page = learner.pages[input.page] ?? learner.pages[0]!;
          page.lastInput = now;
          learner.lastInput = now;
          // The page comes back to a suspended lab on input (web/lab-page.ts comeBack).
          if (!ready && states.get(learner.stackId) !== 'RESUME_PENDING' && !resuming.has(learner.stackId)) {
            resuming.add(learner.stackId);
            launch(learner);
          }
          if (input.via === 'terminal' && ready && p.gatewayActivity) page.gateway.input();
        }
        if (plan.closesAfter !== null && local >= plan.duration + plan.closesAfter) for (const page of learner.pages) await leave(learner, page);
        for (const page of learner.pages) {
          // web/lab-page.ts tick(): a keepalive per interval while the learner is active and the lab ready.
          if (!page.open || !ready || now - page.lastInput >= p.idleTimeout || now - page.lastKeepalive < keepaliveEvery) continue;
          page.lastKeepalive = now;
          lastSent.set(learner.stackId, now);
          pending.push(ctx.stacks.keepalive(learner.stackId, `learner:${learner.id}`));
        }
        // The learner's next visit: the earliest of what the checks above wait for (a stack that is not
        // READY yet is visited again when its state changes).
        let next = Infinity;
        if (plan.second && learner.pages.length === 1 && plan.second.opensAt < plan.duration) next = Math.min(next, plan.offset + plan.second.opensAt);
        if (plan.second && learner.pages.length === 2 && learner.pages[0]!.open) next = Math.min(next, plan.offset + plan.second.firstClosedAt);
        if (cursor[l]! < plan.inputs.length) next = Math.min(next, plan.offset + plan.inputs[cursor[l]!]!.at);
        if (plan.closesAfter !== null && learner.pages.some((page) => page.open)) next = Math.min(next, plan.offset + plan.duration + plan.closesAfter);
        for (const page of learner.pages) {
          if (page.open && now - page.lastInput < p.idleTimeout) next = Math.min(next, page.lastKeepalive + keepaliveEvery - roundStart);
        }
        if (next < Infinity) visitAt(l, stepOf(next, step));
      };
      phase.lap('steps (the loop itself)');
      await Promise.all([...due].sort((a, b) => a - b).map(visit));
      if (due.size > 0) phase.lap('visits');
      if (Math.round(roundStart + t) % p.suspenderInterval < STEP && now >= earliestDue()) {
        await settle();
        const stats = await suspender(rt.store, clock.now(), settings);
        if (stats.acted > 0) {
          for (const s of await ctx.stacks.list({ context: 'course', state: ['SUSPEND_PENDING'], limit: 100_000 })) {
            const was = states.get(s.id);
            setState(s.id, s.state);
            if (was !== 'READY') continue;
            result.suspends++;
            const learner = byStack.get(s.id)!;
            if (now - learner.lastInput < ACTIVE_WINDOW && learner.pages.some((page) => page.open)) result.activeSuspends++;
            if (now < learner.sessionEnd) result.pauseSuspends++;
          }
        }
        phase.lap('sweep');
        await work();
        phase.lap("sweep: the worker's turn");
      } else if (launches.length > 0) {
        await Promise.all(launches.splice(0));
        resuming.clear();
        phase.lap('come-back: the requests');
        await work();
        phase.lap("come-back: the worker's turn");
      }
      // The habit resume job, every 60 s as the runtime's scheduler runs it (app/create-context.ts).
      if (p.habitResume && Math.round(roundStart + t) % 60 < STEP && (EVERY_HABIT_PASS || someoneExpected())) {
        await settle();
        await rt.scheduler.runJob(HABIT_JOB);
        await work();
        phase.lap('habit pass');
      }
    }
    phase.lap('steps (the loop itself)');
    await settle();
    await work();
    clock.set(new Date(start + (roundStart + model.gaps[round]!) * 1000));
    await reaper(rt.store, clock.now(), settings);
    await suspender(rt.store, clock.now(), settings);
    await work();
    phase.lap('round end');
  }

  ctx.events.off('stack.transition', onTransition);
  // Billed time as the cost report counts it (domain/billing.ts), over the replayed month.
  const month = { from: monthStart, to: clock.now() };
  // Read a few dozen histories at a time: one after another, a thousand reads wait a thousand round trips.
  for (let from = 0; from < learners.length; from += 50) {
    const histories = await Promise.all(learners.slice(from, from + 50).map((learner) => ctx.stacks.events(learner.stackId)));
    histories.forEach((history, i) => {
      const parts = segments(history, month.to);
      result.billedHours += usageSeconds(parts, month).running / 3600;
      countGuesses(result, history, parts, sessionStarts.get(learners[from + i]!.id)!);
    });
  }
  phase.lap('histories');
  const report = phase.report(`${p.name}, ${model.learners} learners:`);
  if (report) console.error(report);
  return result;
}

export function emptyResult(): ReplayResult {
  return { learningHours: 0, billedHours: 0, suspends: 0, activeSuspends: 0, pauseSuspends: 0, beacons: 0, sessions: 0, foundRunning: 0, foundResuming: 0, waited: 0, habitResumes: 0, wrongGuesses: 0, wrongGuessHours: 0 };
}

/**
 * Habit resume's guesses in a stack's history: a resume by habit-resume is right when the learner's
 * session began between it and the next suspend, wrong otherwise; a wrong one costs the running segment
 * it started.
 */
function countGuesses(result: ReplayResult, history: readonly StackEvent[], parts: readonly Segment[], sessionStarts: readonly number[]): void {
  history.forEach((event, i) => {
    if (event.toState !== 'RESUME_PENDING' || event.actor !== HABIT_ACTOR) return;
    result.habitResumes++;
    const at = event.at.getTime();
    const next = history.slice(i + 1).find((e) => e.toState === 'SUSPEND_PENDING' || e.toState === 'SUSPENDED');
    const until = next ? next.at.getTime() : Infinity;
    if (sessionStarts.some((s) => s >= at && s <= until)) return;
    result.wrongGuesses++;
    const run = parts.find((part) => part.billed === 'running' && part.start.getTime() >= at);
    if (run) result.wrongGuessHours += (run.end.getTime() - run.start.getTime()) / 3_600_000;
  });
}
