/**
 * Crash campaign: a real server and real workers on a fresh PostgreSQL schema, SIGKILLed at random while a
 * driver launches, suspends, resumes, resets, deletes and checks stacks of labs/single-server through the
 * API. Then it waits for quiet and checks: no orphan provider stacks, no stack stuck past its deadline, no
 * row with two provider stacks, and (on the local runtime) the file the learner wrote is still there
 * after every suspend/resume, crash or not. Learners' check results become LTI grades that the workers
 * send to an AGS platform the campaign runs (chaos/crash-grades.ts): none lost, none posted twice.
 * Exits 1 on any violation.
 *
 * `--provider heat` runs it against the real Heat of scripts/setup-heat.sh (test/openstack/heat-env.ts):
 * labs/single-server on Nova's fake driver (servers that never boot), or with `--lab heat-only` a lab
 * of OS::Heat resources only (quicker). Nothing boots there, so the learner-file check (SSH) and real
 * checks stay with `--provider lxc`; the grades come from results the campaign produces itself.
 *
 *   node --import tsx chaos/crash.ts [--transitions 60] [--min-kills 0] [--minutes 15] [--provider fake|lxc|heat] [--workers 2]
 *     [--stacks 3] [--kill-gap 1-10] [--seed N] [--lab single-server|heat-only] [--no-grades]
 *     [--database-url postgres://...]
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import pino from 'pino';
import { stringify as toYaml } from 'yaml';
import { openPostgres } from '../src/db/database.ts';
import { migrate } from '../src/db/migrations.ts';
import type { Provider } from '../src/providers/provider.ts';
import { Keys } from '../src/infra/keys.ts';
import { deploymentPrefix } from '../src/providers/stack-names.ts';
import { Fleet } from './crash-fleet.ts';
import { CrashGrades } from './crash-grades.ts';
import { providerFindings, rows, STABLE, stuck } from './crash-invariants.ts';
import { LearnerFiles } from './crash-learner-files.ts';

const { values: flags } = parseArgs({
  options: {
    transitions: { type: 'string', default: '60' },
    minutes: { type: 'string', default: '15' },
    'min-kills': { type: 'string', default: '0' },
    provider: { type: 'string', default: 'fake' },
    workers: { type: 'string', default: '2' },
    stacks: { type: 'string', default: '3' },
    'kill-gap': { type: 'string', default: '1-10' },
    seed: { type: 'string', default: String(Date.now() % 100000) },
    lab: { type: 'string', default: 'single-server' },
    'no-grades': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
    'database-url': { type: 'string', default: process.env.STACKLAB_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
if (flags.help || !['fake', 'lxc', 'heat'].includes(flags.provider) || !['single-server', 'heat-only'].includes(flags.lab)) {
  console.log('usage: chaos/crash.ts [--transitions 60] [--min-kills 0] [--minutes 15] [--provider fake|lxc|heat] [--workers 2] [--stacks 3] [--kill-gap 1-10] [--seed N] [--lab single-server|heat-only] [--no-grades] [--database-url postgres://...]');
  process.exit(flags.help ? 0 : 2);
}
const REPO = resolve(import.meta.dirname, '..');
const target = Number(flags.transitions);
const budgetMs = Number(flags.minutes) * 60_000;
// A short campaign can reach its transitions before the killer's first gaps have passed (a quiet,
// fast machine): it keeps driving until it has also killed this many times, within the time budget.
const minKills = Number(flags['min-kills']);
const [gapMin, gapMax] = flags['kill-gap'].split('-').map(Number) as [number, number];
let seed = Number(flags.seed);
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LEASE = 5;

// A fresh schema, a free port, one secret key and token for every process.
const schema = `crash_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: flags['database-url'] });
await admin.connect();
await admin.query(`CREATE SCHEMA ${schema}`);
const url = `${flags['database-url']}${flags['database-url'].includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
{
  // Migrated once up front: several processes starting at once would all try.
  const store = await openPostgres(url, 1);
  await migrate(store);
  await store.close();
}
const db = new pg.Client({ connectionString: url });
await db.connect();
const port = await freePort();
const data = mkdtempSync(join(tmpdir(), 'crash-'));
const secretKey = randomBytes(32).toString('base64');
const token = randomBytes(24).toString('base64url');
// Its own per run on a shared cloud (a CI test and a long campaign may run at once); fixed elsewhere.
const DEPLOYMENT = flags.provider === 'heat' ? `crash${randomBytes(3).toString('hex')}` : 'chaoscrash';
const heat = flags.provider === 'heat' ? await heatOptions() : null;
const providerEntry =
  flags.provider === 'lxc'
    ? { name: 'local', kind: 'lxc' }
    : heat
      ? { name: 'heat', kind: 'openstack', ...heat }
      : { name: 'fake', kind: 'fake', state_dir: join(data, 'fake'), delay_ms: 1500 };
const LAB = flags.lab;
const labsDir = labsFolder();
const gradeDb = flags['no-grades'] ? null : await openPostgres(url, 2);
const grades = gradeDb ? await CrashGrades.start(gradeDb, { lab: LAB, context: 'crash', random }) : null;
const configFile = join(data, 'stacklab.yaml');
writeFileSync(configFile, toYaml(grades ? { lti: grades.ltiConfig() } : {}));
const env = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('STACKLAB_'))),
  DATABASE_URL: url,
  PORT: String(port),
  STACKLAB_HOST: '127.0.0.1',
  STACKLAB_API_TOKEN: token,
  // Fixed, so this script's own provider handle sees exactly the fleet's stacks.
  STACKLAB_DEPLOYMENT_ID: DEPLOYMENT,
  STACKLAB_SECRET_KEY: secretKey,
  STACKLAB_DATA_DIR: data,
  STACKLAB_LABS_DIR: labsDir,
  STACKLAB_CONFIG: configFile,
  STACKLAB_PROVIDERS: JSON.stringify([providerEntry]),
  STACKLAB_LEASE: String(LEASE),
  STACKLAB_POLL_INTERVAL: '0.5',
  STACKLAB_WATCHDOG_INTERVAL: '5',
  STACKLAB_RECONCILER_INTERVAL: '10',
  STACKLAB_LOG_FORMAT: 'json',
  STACKLAB_LOG_LEVEL: 'info', // the fleet log; the start-up line tells when a process is up
};
const fleet = new Fleet(REPO, env, join(data, 'fleet.log'), Number(flags.workers));
const provider: Provider =
  flags.provider === 'lxc'
    ? (await import('../src/providers/lxc/provider.ts')).createLxcProvider('local', {}, { info: () => {}, warn: () => {}, error: () => {} }, { deployment: DEPLOYMENT })
    : heat
      ? (await import('../src/providers/openstack/provider.ts')).createOpenStackProvider('heat', heat, pino({ level: 'silent' }))
      : new (await import('../src/providers/fake/fake-provider.ts')).FakeProvider('fake', { state_dir: join(data, 'fake') });
const files = flags.provider === 'lxc' ? new LearnerFiles(db, Keys.fromBase64(secretKey)) : null;

type Stack = { id: string; state: string; providerStackName: string; publicIp: string | null };
async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> } | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(30_000),
    });
    return { status: response.status, json: (await response.json().catch(() => ({}))) as Record<string, unknown> };
  } catch {
    return null; // the server is down (we killed it): the driver tries again later
  }
}

// State changes only: a lease takeover is recorded as DELETING -> DELETING and is counted apart.
const transitions = async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM stack_events WHERE from_state IS DISTINCT FROM to_state')).rows[0]!.n);
const takeovers = async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM stack_events WHERE from_state = to_state')).rows[0]!.n);
const counts = { requests: 0, refused: 0, unreachable: 0, kills: 0, midOperation: 0 };
const violations: string[] = [];

grades?.registerTool(`http://127.0.0.1:${port}`);
const learners = Array.from({ length: Number(flags.stacks) }, (_, i) => `learner-${i}`);
for (const learner of learners) await grades?.enrol(learner);
fleet.startAll();
const started = Date.now();
let killing = true;
const killer = (async () => {
  await fleet.allReady();
  while (killing) {
    await sleep((gapMin + random() * (gapMax - gapMin)) * 1000);
    const victim = pick(await fleet.upMembers());
    if (!killing) break;
    // Kills while a stack is between states are the ones that test recovery: count them apart.
    if ((await rows(db)).some((r) => !STABLE.includes(r.state))) counts.midOperation++;
    await fleet.crash(victim);
    counts.kills++;
  }
})();

// The driver: one learner per stack slot, acting on whatever state the stack is in.
const ids = new Map<string, string>();
let lastReport = 0;
while (((await transitions()) < target || counts.kills < minKills) && Date.now() - started < budgetMs) {
  const learner = pick(learners);
  const id = ids.get(learner);
  // Off a real lab server (fake, heat), a check result of the learner's is made up here, about one
  // driver turn in four; on lxc the server's real checks make them.
  if (grades && id && flags.provider !== 'lxc' && random() < 0.25) await grades.produce(learner, id);
  const current = id ? await api('GET', `/stacks/${id}`) : null;
  const stack = current?.status === 200 ? (current.json as unknown as Stack) : null;
  let request: [string, string, unknown?] | null = null;
  if (!stack || stack.state === 'DELETED') request = ['POST', '/stacks', { learner, context: 'crash', lab: LAB }];
  else if (stack.state === 'READY') {
    if (files) await files.see(stack).catch((error: Error) => (error.message.startsWith('LOST') ? violations.push(error.message) : undefined));
    request = pick([['POST', `/stacks/${stack.id}/suspend`], ['POST', `/stacks/${stack.id}/suspend`], ['POST', `/stacks/${stack.id}/reset`, { confirm: 'RESET' }], ['DELETE', `/stacks/${stack.id}`], ['POST', `/stacks/${stack.id}/check`]]);
  } else if (stack.state === 'SUSPENDED') request = pick([['POST', `/stacks/${stack.id}/resume`], ['POST', `/stacks/${stack.id}/resume`], ['POST', '/stacks', { learner, context: 'crash', lab: LAB }], ['DELETE', `/stacks/${stack.id}`]]);
  else if (stack.state.endsWith('_FAILED')) request = pick([['DELETE', `/stacks/${stack.id}`], ['POST', '/stacks', { learner, context: 'crash', lab: LAB }]]);
  if (request) {
    if (request[1].endsWith('/check') && !files) request = null; // checks need a real lab server
  }
  if (request) {
    counts.requests++;
    const answer = await api(...request);
    if (!answer) counts.unreachable++;
    else if (answer.status >= 400) counts.refused++;
    else if (request[1] === '/stacks') ids.set(learner, String(answer.json.id));
  }
  if (Date.now() - lastReport > 30_000) {
    lastReport = Date.now();
    console.log(`  ${Math.round((Date.now() - started) / 1000)} s: ${await transitions()} transitions, ${counts.kills} kills, ${counts.requests} requests`);
  }
  await sleep(200 + random() * 1300);
}
const drivenMs = Date.now() - started;
killing = false;
await killer;
for (const member of fleet.members) if (!member.child || member.child.exitCode !== null || member.child.signalCode !== null) fleet.start(member);

// Quiet: everything reaches a resting state, or the deadline of whatever is left passes.
const quietStart = Date.now();
const quietDeadline = quietStart + 420_000;
console.log(`  ${Math.round((Date.now() - started) / 1000)} s: driving stopped; waiting for quiet`);
while (Date.now() < quietDeadline && (await rows(db)).some((r) => !STABLE.includes(r.state))) await sleep(1000);
console.log(`  ${Math.round((Date.now() - started) / 1000)} s: every stack at rest${grades ? `; ${await grades.pending(db)} grades to send` : ''}`);
// And the grade outbox drained: a grade whose sender was killed is taken over once its lease ends.
while (grades && Date.now() < quietDeadline + 120_000 && (await grades.pending(db)) > 0) await sleep(1000);
const quietMs = Date.now() - quietStart;
violations.push(...stuck(await rows(db), new Date(), LEASE * 3 + 60).map((s) => `stuck: ${s}`));
// Orphans left by a kill between a provider create and its row update are the reconciler's: give it its grace.
const orphanDeadline = Date.now() + 200_000;
let found = await providerFindings(db, provider, DEPLOYMENT);
console.log(`  ${Math.round((Date.now() - started) / 1000)} s: grades drained; ${found.orphans.length} orphans for the reconciler`);
const orphansAtQuiet = found.orphans.length;
while (found.orphans.length && Date.now() < orphanDeadline) {
  await sleep(5000);
  found = await providerFindings(db, provider, DEPLOYMENT);
}
violations.push(...found.orphans.map((o) => `orphan: ${o}`), ...found.doubled.map((d) => `two provider stacks: ${d}`));
if (files) for (const r of await rows(db)) if (r.state === 'READY') await files.verify(r.id).catch((error: Error) => violations.push(error.message));
violations.push(...fleet.deadOnTheirOwn().map((d) => `process died by itself: ${d}`));
const gradeFindings = grades ? await grades.verify(db) : null;
if (gradeFindings) violations.push(...gradeFindings.violations);

const states = (await db.query<{ state: string; n: string }>('SELECT state, count(*) AS n FROM stacks GROUP BY state ORDER BY state')).rows.map((r) => `${r.state}=${r.n}`).join(' ');
const byKind = (await db.query<{ k: string; n: string }>(`SELECT to_state AS k, count(*) AS n FROM stack_events WHERE from_state IS DISTINCT FROM to_state GROUP BY to_state ORDER BY 2 DESC`)).rows.map((r) => `${r.k}=${r.n}`).join(' ');
console.log(`crash campaign (${flags.provider}, ${flags.workers} workers + server, seed ${flags.seed})`);
console.log(`  transitions: ${await transitions()} in ${(drivenMs / 1000).toFixed(0)} s (${byKind}); ${await takeovers()} operations taken over after their lease ran out (a killed worker's, or a live one's that missed a renewal under load)`);
console.log(`  kills: ${counts.kills} SIGKILLs, ${counts.midOperation} while a stack was between states (${fleet.members.map((m) => `${m.name} started ${m.starts}x`).join(', ')})`);
console.log(`  requests: ${counts.requests} (${counts.refused} refused by state, ${counts.unreachable} while the server was down)`);
console.log(`  quiet after ${(quietMs / 1000).toFixed(0)} s; orphans at quiet ${orphansAtQuiet}, after the reconciler ${found.orphans.length}; final states ${states}`);
for (const failed of (await db.query<{ id: string; state: string; error: string }>(`SELECT id, state, error FROM stacks WHERE state LIKE '%_FAILED'`)).rows) console.log(`  failed: ${failed.id} ${failed.state}: ${failed.error}`);
// A failure the driver then launched again is gone from the final states; its reason is in the history.
for (const failure of (await db.query<{ stack_id: string; to_state: string; reason: string }>(`SELECT stack_id, to_state, reason FROM stack_events WHERE to_state LIKE '%_FAILED' ORDER BY id`)).rows) console.log(`  failure on the way: ${failure.stack_id} ${failure.to_state}: ${failure.reason}`);
if (gradeFindings) {
  const g = gradeFindings.figures;
  console.log(`  grades: ${g.produced} produced (${g.sent} sent, ${g.superseded} superseded, ${g.skipped} skipped, ${g.failed} failed, ${g.pending} pending); ${g.posts} score POSTs, ${g.resends} of them a resend after a crash`);
}
if (files) console.log(`  learner files: ${files.written} written, ${files.verified} found intact after a resume or a crash`);
console.log(violations.length ? `  VIOLATIONS (${violations.length}):\n    ${violations.join('\n    ')}` : '  no violations');

await fleet.stopAll();
// Leave nothing behind: our provider stacks, then the schema.
for (const stack of await provider.list()) if (stack.name.startsWith(deploymentPrefix(DEPLOYMENT))) await provider.delete(stack).catch(() => undefined);
await grades?.stop();
await gradeDb?.close();
await db.end();
await admin.query(`DROP SCHEMA ${schema} CASCADE`);
await admin.end();
await provider.close?.();
process.exit(violations.length ? 1 : 0);

/** The real Heat's demo project (test/openstack/heat-env.ts), or a clear reason why not. */
async function heatOptions() {
  const { ensureHeat, demoOptions, HEAT_MISSING } = await import('../test/openstack/heat-env.ts');
  const env = await ensureHeat();
  if (!env) {
    console.error(`--provider heat: ${HEAT_MISSING}`);
    process.exit(2);
  }
  return demoOptions(env, { request_timeout_seconds: 60 });
}

/**
 * The labs the fleet serves: the repository's single-server, plus `heat-only` (OS::Heat resources, no server: a
 * launch, suspend and resume in seconds on Heat) for `--lab heat-only`.
 */
function labsFolder(): string {
  const dir = join(data, 'labs');
  mkdirSync(join(dir, 'heat-only'), { recursive: true });
  // Grade policy 'latest' in both: every new result is sent (with 'best' most are skipped once a
  // learner reached 1), so kills find many more sends in flight.
  cpSync(join(REPO, 'labs', 'single-server'), join(dir, 'single-server'), { recursive: true });
  appendFileSync(join(dir, 'single-server', 'lab.yaml'), '\ngrade_policy: latest\n');
  writeFileSync(join(dir, 'heat-only', 'lab.yaml'), 'title: Heat resources only\ndescription: No server; for the crash campaign on Heat.\ntemplate: template.yaml\nuser: training\nprotocol: ssh\ngrade_policy: latest\ntimeouts:\n  launch: 300\n  suspend: 120\n');
  writeFileSync(
    join(dir, 'heat-only', 'template.yaml'),
    `heat_template_version: 2018-08-31
parameters:
  stacklab_public_key: { type: string, default: '' }
  stacklab_private_key: { type: string, default: '', hidden: true }
  run: { type: string, default: '' }
resources:
  pw: { type: OS::Heat::RandomString, properties: { length: 16 } }
  ip: { type: OS::Heat::Value, properties: { value: 203.0.113.7 } }
outputs:
  password: { value: { get_attr: [pw, value] } }
  public_ip: { value: { get_attr: [ip, value] } }
`,
  );
  return dir;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port: p } = probe.address() as AddressInfo;
  await new Promise((done) => probe.close(done));
  return p;
}
