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
import { segments, usageSeconds } from '../src/domain/billing.ts';
import { activitySignal, type ActivitySignal } from '../src/gateway/activity-signal.ts';
import { PENDING_STATES } from '../src/domain/states.ts';
import { issueSession } from '../src/http/session.ts';
import { reaper, suspender } from '../src/services/sweeps.ts';
import type { TestRuntime } from '../test/support/test-runtime.ts';
import type { ClassModel, SessionPlan } from './class-model.ts';

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
}

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
  const start = clock.now().getTime();
  const sec = () => (clock.now().getTime() - start) / 1000;
  const settings = { batch: 10_000, deleteAttempts: 3, suspendAttempts: 3, retryBackoff: 30 };
  const learners: Learner[] = [];
  const states = new Map<string, string>();
  const pending: Promise<unknown>[] = [];
  const result: ReplayResult = { learningHours: 0, billedHours: 0, suspends: 0, activeSuspends: 0, pauseSuspends: 0, beacons: 0 };

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
  const byStack = new Map(learners.map((learner) => [learner.stackId, learner]));
  learners.forEach((learner, l) => learnerOf.set(learner.stackId, l));
  changed.clear();
  const keepaliveEvery = Math.min(p.keepaliveInterval, p.suspendTimeout / 3);
  const monthStart = clock.now();

  for (let round = 0; round < model.gaps.length; round++) {
    const roundStart = sec();
    const plans = learners.map((_, l) => model.sessions[l]![round]!);
    const cursor = plans.map(() => 0);
    const longest = Math.max(...plans.map((s) => s.offset + s.duration + (s.closesAfter ?? 0))) + p.idleTimeout + p.suspendTimeout + 600;
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
    plans.forEach((plan, l) => visitAt(l, stepOf(plan.offset, -1)));
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
        const plan: SessionPlan = plans[l]!;
        const local = t - plan.offset;
        if (local < 0) {
          visitAt(l, stepOf(plan.offset, step));
          return;
        }
        if (!began[l]) {
          began[l] = true;
          for (const page of learner.pages) page.open = false;
          learner.pages = [await newPage(learner, now)];
          learner.sessionEnd = now + plan.duration;
          launch(learner);
          result.learningHours += plan.duration / 3600;
        }
        if (plan.second && local >= plan.second.opensAt && learner.pages.length === 1 && plan.second.opensAt < plan.duration) {
          learner.pages.push(await newPage(learner, now));
          launch(learner);
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
      await Promise.all([...due].sort((a, b) => a - b).map(visit));
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
        await work();
      } else if (launches.length > 0) {
        await Promise.all(launches.splice(0));
        resuming.clear();
        await work();
      }
    }
    await settle();
    await work();
    clock.set(new Date(start + (roundStart + model.gaps[round]!) * 1000));
    await reaper(rt.store, clock.now(), settings);
    await suspender(rt.store, clock.now(), settings);
    await work();
  }

  ctx.events.off('stack.transition', onTransition);
  // Billed time as the cost report counts it (domain/billing.ts), over the replayed month.
  const month = { from: monthStart, to: clock.now() };
  // Read a few dozen histories at a time: one after another, a thousand reads wait a thousand round trips.
  for (let from = 0; from < learners.length; from += 50) {
    const histories = await Promise.all(learners.slice(from, from + 50).map((learner) => ctx.stacks.events(learner.stackId)));
    for (const history of histories) result.billedHours += usageSeconds(segments(history, month.to), month).running / 3600;
  }
  return result;
}
