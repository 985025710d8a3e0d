/**
 * Grades in the crash campaign: an Open edX-like platform (the LTI test emulator, with its AGS token
 * and score endpoints) that the campaign runs itself, one course block and line item per learner, and
 * the launch each learner would have made (so a check result of theirs goes through the grade outbox).
 * The workers send the grades and are SIGKILLed at random, also while a score POST is in flight: the
 * platform stores a score, then waits a random moment before it answers, which is when a kill leaves
 * the platform holding a score the store does not yet call sent.
 *
 * "Posted twice" (AGS 2.0 §3.4.9: "A tool MUST NOT send multiple score updates of the same (line
 * item, user) with the same timestamp"): a score POST for a (line item, user, timestamp) the platform
 * had already accepted. One such resend cannot be avoided after a crash between the platform's answer
 * and the store's write (no commit spans both); it is counted as a resend and allowed only when
 *   - it carries exactly the same score as the first POST (the platform's grade does not change),
 *   - it arrived before the store recorded that grade as sent (after that no sender may post it), and
 *   - the outbox then settles the row as sent (not failed), though Open edX refuses the resend with 400.
 * Anything else with a second POST of one timestamp is a violation: "posted twice".
 *
 * "Lost": after the drain, a grade row still pending or failed; a sent row whose score did not reach
 * the platform; or a learner whose grade at the platform is not what the lab's grade policy makes of
 * all their results (the highest for 'best', the newest for 'latest').
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Database } from '../src/db/database.ts';
import { AGS_SCOPE } from '../src/lti/claims.ts';
import { GradeOutbox, type OutboxDeps } from '../src/lti/grade-outbox.ts';
import { LaunchStore } from '../src/lti/launches.ts';
import { OpenEdxEmulator, type Block, type User } from '../test/lti/emulator/open-edx-emulator.ts';

export const CLIENT_ID = 'stacklab-crash-campaign';
export const DEPLOYMENT_ID = '1';
export const PLATFORM = 'openedx';

interface Post {
  /** When the platform answered it. */
  at: number;
  status: number;
  body: { userId?: string; scoreGiven?: number; timestamp?: string } | undefined;
}

interface OutboxRow {
  id: number;
  learner: string;
  lineitem_url: string;
  sub: string;
  score: number;
  scored_at: Date;
  status: string;
  sent_score: number | null;
  sent_at: Date | null;
  policy: 'best' | 'latest';
  last_error: string | null;
}

export class CrashGrades {
  readonly posts: Post[] = [];
  produced = 0;
  private readonly learners = new Map<string, { user: User; block: Block; lineitem: string }>();
  private readonly outbox: GradeOutbox;

  private constructor(
    readonly emulator: OpenEdxEmulator,
    private readonly db: Database,
    private readonly lab: string,
    private readonly context: string,
    private readonly random: () => number,
    answerDelayMs: number,
  ) {
    // What the check service does with a result: GradeOutbox.enqueue. Only its queueing side is used here;
    // 'latest' is the policy crash.ts gives its labs.
    const deps = { db, clock: { now: () => new Date() }, launches: new LaunchStore(db), policyOf: () => 'latest' } as unknown as OutboxDeps;
    this.outbox = new GradeOutbox(deps);
    // The platform stores the score, then takes its time to answer: the window a kill falls into.
    emulator.ags.scoreGate = async (phase) => {
      if (phase === 'answering') await new Promise((done) => setTimeout(done, this.random() * answerDelayMs));
    };
    // Every score POST with the moment it was answered (the emulator records it as it answers).
    const posts = emulator.ags.scorePosts;
    const push = posts.push.bind(posts);
    posts.push = (...items) => {
      for (const item of items) this.posts.push({ at: Date.now(), status: item.status, body: item.body as Post['body'] });
      return push(...items);
    };
  }

  static async start(db: Database, options: { lab: string; context: string; random: () => number; answerDelayMs?: number }): Promise<CrashGrades> {
    const emulator = await OpenEdxEmulator.start({ host: '127.0.0.1' });
    return new CrashGrades(emulator, db, options.lab, options.context, options.random, options.answerDelayMs ?? 1500);
  }

  /** The `lti:` section of the fleet's config file: this platform, retried quickly. */
  ltiConfig(): Record<string, unknown> {
    return {
      platforms: [{ name: PLATFORM, client_id: CLIENT_ID, deployment_ids: [DEPLOYMENT_ID], ...this.emulator.registration }],
      grade_retry_seconds: 0.5,
      grade_retry_max_seconds: 4,
      // A grade whose worker was killed mid-send is taken over after this, not the default minute.
      grade_lease_seconds: 10,
    };
  }

  /** The tool as the platform knows it; its key set is the fleet's server (down whenever it is killed). */
  registerTool(toolBase: string): void {
    this.emulator.registerTool({
      clientId: CLIENT_ID,
      deploymentId: DEPLOYMENT_ID,
      loginUrl: `${toolBase}/lti/login`,
      launchUrl: `${toolBase}/lti/launch`,
      redirectUris: [`${toolBase}/lti/launch`],
      keysetUrl: `${toolBase}/.well-known/jwks.json`,
    });
  }

  /** A learner's launch from a course block with a declarative line item, as the launch records it. */
  async enrol(learner: string): Promise<void> {
    const user = this.emulator.addUser(learner, 'student');
    const block = this.emulator.addBlock({ courseKey: 'course-v1:Chaos+CRASH+2026', custom: { lab: this.lab }, weight: 1 });
    const lineitem = this.emulator.ags.lineItemUrl(this.emulator.ags.lineItemOf(block)!);
    this.learners.set(learner, { user, block, lineitem });
    await new LaunchStore(this.db).record({
      learner,
      context: this.context,
      lab: this.lab,
      platform: PLATFORM,
      deploymentId: DEPLOYMENT_ID,
      sub: user.sub,
      resourceLinkId: block.usageKey,
      lineitemUrl: lineitem,
      lineitemsUrl: null,
      agsScopes: [AGS_SCOPE.score],
      updatedAt: new Date(),
    });
  }

  /** A check result of the learner (as the check service announces one), queued in the grade outbox. */
  async produce(learner: string, stackId: string): Promise<void> {
    const score = Math.round(this.random() * 4) / 4;
    await this.outbox.enqueue({ stackId, learner, context: this.context, lab: this.lab, score, maxScore: 1, passed: score * 4, total: 4, at: new Date(), attemptId: randomUUID() });
    this.produced++;
  }

  async pending(db: pg.Client): Promise<number> {
    return Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM lti_grade_outbox WHERE status = 'pending'`)).rows[0]!.n);
  }

  /** The invariants above, read from the store and the platform; with the figures for the report. */
  async verify(db: pg.Client): Promise<{ violations: string[]; figures: Record<string, number> }> {
    const rows = (await db.query<OutboxRow>('SELECT * FROM lti_grade_outbox ORDER BY id')).rows;
    const violations: string[] = [];
    const figures: Record<string, number> = { produced: rows.length, posts: this.posts.length, resends: 0 };
    for (const status of ['sent', 'superseded', 'skipped', 'failed', 'pending']) figures[status] = rows.filter((r) => r.status === status).length;
    for (const r of rows) if (r.status === 'pending' || r.status === 'failed') violations.push(`grade lost: row ${r.id} of ${r.learner} (${r.score}) is ${r.status}${r.last_error ? `: ${r.last_error}` : ''}`);
    // Score POSTs by (user, timestamp): one line item per learner, so the user names the line item.
    const bySend = new Map<string, Post[]>();
    for (const p of this.posts) {
      const key = `${p.body?.userId}|${p.body?.timestamp}`;
      bySend.set(key, [...(bySend.get(key) ?? []), p]);
    }
    for (const r of rows.filter((x) => x.status === 'sent')) {
      const key = `${r.sub}|${r.scored_at.toISOString()}`;
      const posts = bySend.get(key) ?? [];
      const accepted = posts.filter((p) => p.status === 201);
      if (accepted.length === 0) violations.push(`grade lost: row ${r.id} of ${r.learner} is sent, but the platform never accepted a score with its timestamp ${key}`);
      else if (accepted[0]!.body?.scoreGiven !== r.sent_score) violations.push(`row ${r.id} of ${r.learner}: the store sent ${r.sent_score}, the platform took ${accepted[0]!.body?.scoreGiven}`);
    }
    // Posts are in the order the platform answered them: a resend may be answered before the POST it
    // repeats (held by the platform while its sender was killed).
    for (const [key, posts] of bySend) {
      const first = posts.findIndex((p) => p.status === 201);
      if (first < 0) continue;
      for (const again of posts.filter((_, i) => i !== first)) {
        const row = rows.find((r) => `${r.sub}|${r.scored_at.toISOString()}` === key && r.status === 'sent');
        const sentAt = row?.sent_at?.getTime() ?? Infinity;
        if (again.body?.scoreGiven !== posts[first]!.body?.scoreGiven) violations.push(`posted twice: ${key} with another score (${posts[first]!.body?.scoreGiven}, then ${again.body?.scoreGiven})`);
        else if (again.at > sentAt) violations.push(`posted twice: ${key} again ${again.at - sentAt} ms after the store recorded it sent`);
        else figures.resends! += 1;
      }
    }
    // The platform's grade is what the policy makes of every result the learner produced.
    for (const [learner, { user, block }] of this.learners) {
      const mine = rows.filter((r) => r.learner === learner);
      if (!mine.length) continue;
      const expected = mine[0]!.policy === 'latest' ? mine[mine.length - 1]!.score : Math.max(...mine.map((r) => r.score));
      const grade = this.emulator.ags.grade(block, user.sub);
      if (grade !== expected) violations.push(`grade lost: ${learner}'s grade at the platform is ${grade}, the results make ${expected}`);
    }
    return { violations, figures };
  }

  async stop(): Promise<void> {
    await this.emulator.stop();
  }
}
