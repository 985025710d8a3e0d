/**
 * Class schedules (docs/pools.md, "Schedules"): a course's class times, from the API and the CLI (the
 * store) and from the config file's `schedules`, and the pool sizes they ask for at a given moment,
 * which the warm-pool filler uses in place of the labs' own sizes (domain/class-schedule.ts decides).
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { ScheduleStore } from '../db/schedule-store.ts';
import { nextOccurrence, openOccurrence, scheduledSizing, sessionProblem, type ClassSession, type OpenClass } from '../domain/class-schedule.ts';
import type { LabCatalog } from '../domain/lab-catalog.ts';
import type { Lab } from '../domain/lab.ts';
import type { PoolSizing } from '../domain/pool.ts';
import { AppError } from '../errors/api-errors.ts';
import { sentence, type SentenceKey } from '../errors/sentence.ts';

/** A class as the API, the CLI and the config file give it. */
export interface ClassSessionInput {
  course: string;
  lab?: string | null;
  start: Date;
  end: Date;
  learners: number;
  leadSeconds: number;
  weeklyUntil?: Date | null;
  /** The IANA time zone whose wall clock a weekly class keeps; null or left out: UTC. */
  timeZone?: string | null;
}

/** A class's times as the domain checks and stores them (left out: null). */
function times(s: ClassSessionInput) {
  return { start: s.start, end: s.end, leadSeconds: s.leadSeconds, weeklyUntil: s.weeklyUntil ?? null, timeZone: s.timeZone ?? null };
}

const PROBLEM_SENTENCES: Record<NonNullable<ReturnType<typeof sessionProblem>>, SentenceKey> = {
  unknownTimeZone: 'error.BAD_REQUEST.scheduleUnknownTimeZone',
  endsBeforeStart: 'error.BAD_REQUEST.scheduleEndsBeforeStart',
  tooLong: 'error.BAD_REQUEST.scheduleTooLong',
  untilBeforeStart: 'error.BAD_REQUEST.scheduleUntilBeforeStart',
  weeklyOverlap: 'error.BAD_REQUEST.scheduleWeeklyOverlap',
};

/**
 * The problem with a class as given, or null: times that do not make a class, or a lab that is not
 * loaded or keeps no pool (a lab without a `pool` section never hands out pool stacks, so sizing one
 * would launch stacks nobody can take).
 */
export function classProblem(labs: LabCatalog, s: ClassSessionInput): AppError | null {
  const problem = sessionProblem(times(s));
  if (problem === 'unknownTimeZone') return AppError.badInput(`class times: unknown time zone '${s.timeZone}'`, sentence(PROBLEM_SENTENCES[problem], { zone: s.timeZone ?? '' }));
  if (problem) return AppError.badInput(`class times: ${problem}`, sentence(PROBLEM_SENTENCES[problem]));
  if (s.lab) {
    const lab = labs.get(s.lab);
    if (!lab) return new AppError('LAB_NOT_FOUND', `lab '${s.lab}'`);
    if (!lab.pool) return AppError.badInput(`lab '${s.lab}' has no pool section`, sentence('error.BAD_REQUEST.scheduleLabWithoutPool', { lab: s.lab }));
  }
  return null;
}

export class ClassSchedules {
  readonly store: ScheduleStore;

  constructor(
    private readonly deps: {
      db: Database;
      labs: LabCatalog;
      /** The classes of the config file's `schedules` (ids `config-<n>`): listed, used, not removable here. */
      configured: readonly ClassSession[];
      /** The course run a course's launches give a template (lti/identity.ts courseRun, else the course id). */
      runOf: (course: string) => string;
    },
  ) {
    this.store = new ScheduleStore(deps.db);
  }

  /** Every class, the config file's first, then the store's by start; or one course's. */
  async list(course?: string): Promise<ClassSession[]> {
    const configured = this.deps.configured.filter((s) => course === undefined || s.course === course);
    return [...configured, ...(await this.store.list(course))];
  }

  async add(input: ClassSessionInput, actor: string, now: Date): Promise<ClassSession> {
    const problem = classProblem(this.deps.labs, input);
    if (problem) throw problem;
    return this.store.insert(
      { id: randomUUID(), course: input.course, lab: input.lab ?? null, learners: input.learners, ...times(input) },
      actor,
      now,
    );
  }

  /** Removes a stored class; one from the config file is refused (the file would bring it back). */
  async remove(id: string): Promise<void> {
    if (this.deps.configured.some((s) => s.id === id)) throw AppError.badInput(`class '${id}' is in the config file`, sentence('error.BAD_REQUEST.scheduleInConfig'));
    if (!(await this.store.remove(id))) throw new AppError('NOT_FOUND', `class '${id}'`, { message: sentence('error.NOT_FOUND.scheduleClass') });
  }

  /** The pool sizes at `now`: the labs' own, raised for the classes whose window is open. */
  async sizingAt(now: Date): Promise<PoolSizing> {
    const sessions = [...this.deps.configured, ...(await this.store.current(now))].filter((s) => openOccurrence(s, now));
    const open: OpenClass[] = [];
    for (const session of sessions) {
      const run = this.deps.runOf(session.course);
      const labs = await this.labsOf(session, run);
      const arrived = await this.store.arrived(session.course, labs.map((l) => l.id));
      open.push({ session, labs, run, arrived });
    }
    return scheduledSizing(open);
  }

  /**
   * The pooled labs a class covers: its lab, or for a whole course the labs it is known to use: those
   * whose `pool.runs` lists its run and those its learners have stacks of. A course's very first class
   * (no stack yet) of a lab that does not list the run should name the lab.
   */
  private async labsOf(session: ClassSession, run: string): Promise<Lab[]> {
    const pooled = (lab: Lab | undefined): lab is Lab => lab?.pool !== undefined;
    if (session.lab) return [this.deps.labs.get(session.lab)].filter(pooled);
    const used = new Set(await this.store.courseLabs(session.course));
    return this.deps.labs.list().filter((lab) => pooled(lab) && (used.has(lab.id) || (lab.pool!.perRun && lab.pool!.runs.includes(run))));
  }
}

/**
 * The config file's `schedules` as classes. Times that make no class stop the start (the file is wrong);
 * a lab that did not load or keeps no pool is only warned about, so one broken lab folder does not stop
 * the server (the class then sizes nothing for it).
 */
export function configuredClasses(entries: readonly ClassSessionInput[], labs: LabCatalog, warn: (message: string) => void): ClassSession[] {
  return entries.map((e, i) => {
    const wrong = sessionProblem(times(e));
    if (wrong) throw new Error(`schedules[${i}]: the class times do not make a class (${wrong})`);
    const problem = classProblem(labs, e);
    if (problem) warn(`schedules[${i}]: ${problem.detail ?? problem.message}; this class sizes no pool until the lab loads with a pool section`);
    return { id: `config-${i + 1}`, course: e.course, lab: e.lab ?? null, learners: e.learners, ...times(e), source: 'config' as const };
  });
}

/** A class as the API shows it, with its occurrence open now or next (null: over). */
export function classView(s: ClassSession, now: Date) {
  const next = nextOccurrence(s, now);
  return {
    id: s.id,
    course: s.course,
    lab: s.lab,
    start: s.start.toISOString(),
    end: s.end.toISOString(),
    learners: s.learners,
    leadSeconds: s.leadSeconds,
    weeklyUntil: s.weeklyUntil?.toISOString() ?? null,
    timeZone: s.timeZone,
    source: s.source,
    next: next ? { start: next.start.toISOString(), end: next.end.toISOString() } : null,
  };
}

export type ClassView = ReturnType<typeof classView>;
