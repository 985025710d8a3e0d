/**
 * The instructors' class view against a real sshd: the roster of the instructor's course only, shadowing
 * a learner's live terminal (the learner's keystrokes appear for the instructor; the instructor's do not
 * reach the lab until take-over, and the learner is told), recordings in asciicast v2 attached to the
 * check results, and reset by the instructor recorded in the stack's history. Everything outside the
 * instructor's course answers as missing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { issueSession } from '../../src/http/session.ts';
import { parseAsciicast } from '../../src/recordings/asciicast.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { eventually } from '../support/eventually.ts';
import { HAVE_SSHD } from './support/local-sshd.ts';
import { gatewayWorld, openSocket, Screen, sshLab, type GatewayWorld } from './support/gateway-world.ts';

interface Grant {
  path: string;
  protocols: string[];
  mayTakeOver?: boolean;
}

interface Roster {
  context: string;
  learners: { stackId: string; learner: string; lab: string; state: string; secondsUsed: number; bestScore: number | null }[];
}

/**
 * Opens a gateway socket with its output screen and control messages collected from the first frame
 * (the server speaks first on a shadow socket: a frame can arrive with the upgrade's answer).
 */
async function connect(url: string, protocols: string[]): Promise<{ ws: WebSocket; screen: Screen; seen: Array<Record<string, unknown>> }> {
  const ws = new WebSocket(url, protocols);
  const screen = new Screen(ws);
  const seen: Array<Record<string, unknown>> = [];
  ws.on('message', (data, isBinary) => {
    if (!isBinary) seen.push(JSON.parse(data.toString()) as Record<string, unknown>);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, screen, seen };
}

describe('class view: roster, shadowing, recordings, reset', { skip: skipUnless(HAVE_SSHD, 'OpenSSH server (/usr/sbin/sshd) is not installed: apt-get install openssh-server') }, () => {
  let world: GatewayWorld;
  let alice: string;
  let bob: string;
  let teacher: string;
  let otherTeacher: string;
  let aliceStack: string;
  let bobStack: string;
  let viewerStack: string;

  before(async () => {
    world = await gatewayWorld((sshd) => [sshLab(sshd), sshLab(sshd, { id: 'viewer', readOnly: true }), sshLab(sshd, { id: 'private', recordTerminal: false })]);
    const keys = world.runtime.ctx.keys;
    alice = await world.session('alice');
    bob = await world.session('bob');
    teacher = await issueSession(keys, { learner: 'teacher', context: 'course-1', roles: ['Instructor', 'Learner'], displayName: 'Teacher' }, 600);
    otherTeacher = await issueSession(keys, { learner: 'other-teacher', context: 'course-2', roles: ['Instructor', 'Learner'] }, 600);
    aliceStack = await world.launch(alice, 'shell');
    bobStack = await world.launch(bob, 'shell');
    viewerStack = await world.launch(await world.session('carol'), 'viewer');
  });
  after(async () => world?.close());

  const wsUrl = (path: string) => world.base.replace('http', 'ws') + path;

  test('the roster lists the learners of the instructor\'s course, with time used, and nobody else\'s', async () => {
    world.runtime.clock.advance(600);
    const roster = await world.api<Roster>(teacher, 'GET', '/api/v1/class');
    assert.equal(roster.status, 200, JSON.stringify(roster.body));
    assert.equal(roster.body.context, 'course-1');
    assert.deepEqual(roster.body.learners.map((l) => `${l.learner}/${l.lab}/${l.state}`).sort(), ['alice/shell/READY', 'bob/shell/READY', 'carol/viewer/READY']);
    for (const entry of roster.body.learners) {
      assert.ok(entry.secondsUsed >= 600 && entry.secondsUsed < 700, `time used counts the READY spell: ${entry.secondsUsed}`);
      assert.equal(entry.bestScore, null);
    }
    const other = await world.api<Roster>(otherTeacher, 'GET', '/api/v1/class');
    assert.deepEqual(other.body.learners, [], 'an instructor of another course sees none of these learners');
    const learner = await world.api<{ code: string; message: string }>(alice, 'GET', '/api/v1/class');
    assert.equal(learner.status, 403);
    assert.match(learner.body.message, /course staff/);
  });

  test('nothing outside the instructor\'s course: shadow, recordings and reset answer as missing; learners may not', async () => {
    for (const [method, path] of [
      ['POST', `/api/v1/class/stacks/${aliceStack}/shadow`],
      ['GET', `/api/v1/class/stacks/${aliceStack}/recordings`],
      ['POST', `/api/v1/class/stacks/${aliceStack}/reset`],
    ] as const) {
      const other = await world.api<{ code: string }>(otherTeacher, method, path, { confirm: 'RESET' });
      assert.equal(other.status, 404, `${method} ${path}: ${JSON.stringify(other.body)}`);
      assert.equal(other.body.code, 'STACK_NOT_FOUND');
      const learner = await world.api<{ code: string }>(bob, method, path, { confirm: 'RESET' });
      assert.equal(learner.status, 403, `${method} ${path} as a learner`);
    }
    assert.equal((await world.runtime.ctx.stacks.get(aliceStack)).state, 'READY', 'nothing happened to the stack');
  });

  test("shadow: the learner's output reaches the instructor, the instructor's keys do not reach the lab until take-over", async () => {
    const learnerGrant = (await world.api<Grant>(alice, 'POST', `/api/v1/me/stacks/${aliceStack}/connections`, {})).body;
    const { ws: learnerWs, screen: learner, seen: learnerControls } = await connect(wsUrl(learnerGrant.path), learnerGrant.protocols);
    learner.type('echo ready-$((1+1))\r');
    await learner.waitFor(/ready-2/);

    const shadowGrant = await world.api<Grant>(teacher, 'POST', `/api/v1/class/stacks/${aliceStack}/shadow`);
    assert.equal(shadowGrant.status, 200, JSON.stringify(shadowGrant.body));
    assert.equal(shadowGrant.body.mayTakeOver, true);
    // A shadow token opens only the shadow route, and a learner's terminal token does not open it.
    await assert.rejects(openSocket(wsUrl(`/gateway/stacks/${aliceStack}/terminal`), shadowGrant.body.protocols), { status: 403 });
    const secondLearnerGrant = (await world.api<Grant>(alice, 'POST', `/api/v1/me/stacks/${aliceStack}/connections`, {})).body;
    await assert.rejects(openSocket(wsUrl(shadowGrant.body.path), secondLearnerGrant.protocols), { status: 403 });

    const fresh = await world.api<Grant>(teacher, 'POST', `/api/v1/class/stacks/${aliceStack}/shadow`);
    const { ws: watcherWs, screen: watcher, seen: watcherControls } = await connect(wsUrl(fresh.body.path), fresh.body.protocols);
    // The screen as it was when the instructor joined, then what the learner types now.
    await watcher.waitFor(/ready-2/);
    await eventually(() => learnerControls.find((c) => c.type === 'presence' && c.watchers === 1 && c.takenOver === false), 5000, 'the learner told an instructor is watching');
    learner.type('echo learner-$((2+3))\r');
    await watcher.waitFor(/learner-5/);

    // Watching: the instructor's keystrokes stop at the server.
    watcher.type('echo teacher-$((4+4))\r');
    learner.type('echo marker-$((5+5))\r');
    await learner.waitFor(/marker-10/);
    await watcher.waitFor(/marker-10/);
    assert.doesNotMatch(learner.text, /teacher-8/);
    assert.doesNotMatch(watcher.text, /teacher-8/);

    // Take over: now they reach the shell, and the learner is told.
    watcherWs.send(JSON.stringify({ type: 'takeover' }));
    await eventually(() => watcherControls.find((c) => c.type === 'mode' && c.mode === 'takeover'), 5000, 'take-over confirmed');
    await eventually(() => learnerControls.find((c) => c.type === 'presence' && c.takenOver === true), 5000, 'the learner told of the take-over');
    watcher.type('echo teacher-$((4+4))\r');
    await learner.waitFor(/teacher-8/);
    await watcher.waitFor(/teacher-8/);

    // Given back: dropped again.
    watcherWs.send(JSON.stringify({ type: 'release' }));
    await eventually(() => learnerControls.find((c) => c.type === 'presence' && c.takenOver === false && learnerControls.indexOf(c) > learnerControls.findIndex((d) => d.takenOver === true)), 5000, 'the learner told it was given back');
    watcher.type('echo again-$((7*7))\r');
    learner.type('echo end-$((3*3))\r');
    await learner.waitFor(/end-9/);
    assert.doesNotMatch(learner.text, /again-49/);

    watcherWs.close();
    await eventually(() => learnerControls.find((c) => c.type === 'presence' && c.watchers === 0), 5000, 'the learner told nobody watches any more');
    // The stack's history says who watched and took over, in order, as staff actions that moved no state.
    const staffActions = await eventually(async () => {
      const found = (await world.runtime.ctx.stacks.events(aliceStack)).filter((e) => e.kind === 'staff_action');
      return found.length >= 4 ? found : undefined;
    }, 5000, 'the watching written in the history');
    assert.deepEqual(
      staffActions.map((e) => `${e.actor} ${e.fromState}->${e.toState} ${e.reason}`),
      [
        "instructor:teacher READY->READY started watching the learner's terminal",
        "instructor:teacher READY->READY took over the learner's terminal",
        "instructor:teacher READY->READY gave the learner's terminal back",
        "instructor:teacher READY->READY stopped watching the learner's terminal",
      ],
    );
    assert.ok(learnerControls.some((c) => c.type === 'recording' && c.on === true), 'the learner was told the session is recorded');
    learnerWs.close();
  });

  test('a read-only lab can be watched but not taken over', async () => {
    const grant = await world.api<Grant>(teacher, 'POST', `/api/v1/class/stacks/${viewerStack}/shadow`);
    assert.equal(grant.status, 200);
    assert.equal(grant.body.mayTakeOver, false);
    const { ws, seen } = await connect(wsUrl(grant.body.path), grant.body.protocols);
    await eventually(() => seen.find((c) => c.type === 'status' && c.state === 'waiting'), 5000, 'waiting for the learner');
    // The learner's terminal open and watched, so the take-over below is refused for the read-only lab
    // and not merely for want of a session to take over.
    const learnerGrant = (await world.api<Grant>(await world.session('carol'), 'POST', `/api/v1/me/stacks/${viewerStack}/connections`, {})).body;
    const { ws: learnerWs } = await connect(wsUrl(learnerGrant.path), learnerGrant.protocols);
    await eventually(() => seen.find((c) => c.type === 'status' && c.state === 'connected'), 5000, 'watching the learner');
    ws.send(JSON.stringify({ type: 'takeover' }));
    ws.send(JSON.stringify({ type: 'ping' }));
    await eventually(() => seen.find((c) => c.type === 'pong'), 5000, 'pong');
    assert.ok(!seen.some((c) => c.type === 'mode' && c.mode === 'takeover'));
    ws.close();
    learnerWs.close();
  });

  test("recordings: the learner's session in asciicast v2, attached to the check that followed, for the course's instructor only", async () => {
    const before = (await world.runtime.ctx.recordings.store.forStack(aliceStack)).map((r) => r.id);
    // The test clock stands still: a second later, so this session starts after the earlier ones.
    world.runtime.clock.advance(1);
    const learnerGrant = (await world.api<Grant>(alice, 'POST', `/api/v1/me/stacks/${aliceStack}/connections`, {})).body;
    const { ws, screen } = await connect(wsUrl(learnerGrant.path), learnerGrant.protocols);
    screen.type('echo recorded-$((6*7))\r');
    await screen.waitFor(/recorded-42/);
    ws.close();
    const id = await eventually(async () => {
      const answer = await world.api<{ recordings: { id: string; endedAt: string | null }[] }>(teacher, 'GET', `/api/v1/class/stacks/${aliceStack}/recordings`);
      const mine = answer.body.recordings.find((r) => !before.includes(r.id));
      return mine?.endedAt ? mine.id : undefined;
    }, 5000, 'the recording ended');
    // The learner checks their progress after the session: the check belongs to that recording.
    world.runtime.clock.advance(5);
    const checks = world.runtime.ctx.checks.store;
    const now = world.runtime.clock.now();
    const { run } = await checks.begin({ id: 'run-after-session', stackId: aliceStack, learner: 'alice', context: 'course-1', lab: 'shell', actor: 'learner:alice', now, deadline: new Date(now.getTime() + 60_000) });
    await checks.complete(run.id, { passed: 1, total: 2, score: 0.5, results: [] }, now);
    const attached = await world.api<{ recordings: { id: string; checkRuns: { id: string; score: number }[] }[] }>(teacher, 'GET', `/api/v1/class/stacks/${aliceStack}/recordings`);
    assert.deepEqual(attached.body.recordings.find((r) => r.id === id)?.checkRuns.map((c) => [c.id, c.score]), [['run-after-session', 0.5]]);
    const roster = await world.api<Roster>(teacher, 'GET', '/api/v1/class');
    assert.equal(roster.body.learners.find((l) => l.learner === 'alice')?.bestScore, 0.5);

    const response = await fetch(`${world.base}/api/v1/class/recordings/${id}`, { headers: { authorization: `Bearer ${teacher}` } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /application\/x-asciicast/);
    const cast = parseAsciicast(await response.text());
    assert.equal(cast.header.version, 2);
    const output = cast.events.filter((e) => e[1] === 'o').map((e) => e[2]).join('');
    assert.match(output, /recorded-42/);
    const played = (await world.runtime.ctx.stacks.events(aliceStack)).filter((e) => e.kind === 'staff_action' && /^played the terminal recording/.test(e.reason));
    assert.deepEqual(played.map((e) => e.actor), ['instructor:teacher'], 'playing a recording is written in the history with who played it');
    for (const who of [otherTeacher, alice]) {
      const refused = await fetch(`${world.base}/api/v1/class/recordings/${id}`, { headers: { authorization: `Bearer ${who}` } });
      assert.ok(refused.status === 404 || refused.status === 403, `status ${refused.status}`);
    }
  });

  test('a lab with record_terminal: false is not recorded, and its learner is not told it is', async () => {
    const dave = await world.session('dave');
    const stackId = await world.launch(dave, 'private');
    const grant = (await world.api<Grant>(dave, 'POST', `/api/v1/me/stacks/${stackId}/connections`, {})).body;
    const { ws, screen, seen } = await connect(wsUrl(grant.path), grant.protocols);
    screen.type('echo private-$((3+4))\r');
    await screen.waitFor(/private-7/);
    ws.close();
    assert.ok(seen.some((c) => c.type === 'status' && c.state === 'connected'));
    assert.ok(!seen.some((c) => c.type === 'recording'), JSON.stringify(seen));
    assert.deepEqual(await world.runtime.ctx.recordings.store.forStack(stackId), []);
  });

  test("reset by the instructor goes through the stack service and names the instructor in the history", async () => {
    const missingConfirm = await world.api<{ code: string }>(teacher, 'POST', `/api/v1/class/stacks/${bobStack}/reset`, {});
    assert.equal(missingConfirm.status, 400);
    const reset = await world.api<{ state: string }>(teacher, 'POST', `/api/v1/class/stacks/${bobStack}/reset`, { confirm: 'RESET' });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    const events = await world.runtime.ctx.stacks.events(bobStack);
    assert.ok(events.some((e) => e.actor === 'instructor:teacher' && e.toState === 'DELETE_PENDING'), JSON.stringify(events.map((e) => [e.actor, e.toState])));
  });
});
