/**
 * Watching a learner's VNC desktop from the class view, against a real TigerVNC server (Xvnc, localhost
 * only, as in the desktop lab) reached through the stack's SSH connection: who may get a desktop shadow
 * token (the instructor of that course only) and open it (that stack, that course, not expired, not a
 * learner's own desktop token), the watcher's screen updates, the take-over and give-back confirmed to
 * the watcher, told to the learner by the status poll, and written in the stack's history.
 * Whether the watcher's keys reach the desktop's programs is proven on the real desktop image, where a
 * terminal runs: test/e2e/desktop-shadow.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PROTOCOL, signConnectionToken, TOKEN_PROTOCOL_PREFIX } from '../../src/gateway/connection-token.ts';
import { issueSession } from '../../src/http/session.ts';
import { eventually } from '../support/eventually.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { freePort, HAVE_SSHD } from './support/local-sshd.ts';
import { gatewayWorld, openSocket, sshLab, type GatewayWorld } from './support/gateway-world.ts';
import { RfbClient } from './support/rfb-client.ts';

const XVNC = '/usr/bin/Xvnc';

interface ShadowGrant {
  path: string;
  protocols: string[];
  screen: string;
  server: string;
  mayTakeOver: boolean;
}

describe('class view: watching a VNC desktop', { skip: skipUnless(HAVE_SSHD && existsSync(XVNC), 'needs sshd and TigerVNC (apt-get install openssh-server tigervnc-standalone-server)') }, () => {
  let world: GatewayWorld;
  let xvnc: ChildProcess;
  let learner: string;
  let teacher: string;
  let otherTeacher: string;
  let stackId: string;
  let readOnlyStack: string;
  let rdpStack: string;

  before(async () => {
    const vncPort = await freePort();
    const display = 40 + (vncPort % 50);
    xvnc = spawn(XVNC, [`:${display}`, '-rfbport', String(vncPort), '-localhost', '-SecurityTypes', 'None', '-AlwaysShared', '-AcceptSetDesktopSize', '-geometry', '640x480', '-nolisten', 'tcp'], { stdio: 'ignore' });
    const ports = (sshdPort: number) => [{ name: 'ssh', number: sshdPort }, { name: 'desktop', number: vncPort }];
    world = await gatewayWorld((sshd) => [
      sshLab(sshd, { id: 'desk', protocol: 'vnc', port: 5901, ports: ports(sshd.port) }),
      sshLab(sshd, { id: 'desk-watch', protocol: 'vnc', port: 5901, ports: ports(sshd.port), readOnly: true }),
      sshLab(sshd, { id: 'windows', protocol: 'rdp', port: 3389 }),
    ]);
    const keys = world.runtime.ctx.keys;
    learner = await world.session('dana');
    teacher = await issueSession(keys, { learner: 'teacher', context: 'course-1', roles: ['Instructor', 'Learner'] }, 600);
    otherTeacher = await issueSession(keys, { learner: 'other-teacher', context: 'course-2', roles: ['Instructor', 'Learner'] }, 600);
    stackId = await world.launch(learner, 'desk');
    readOnlyStack = await world.launch(await world.session('erin'), 'desk-watch');
    rdpStack = await world.launch(await world.session('finn'), 'windows');
  });
  after(async () => {
    await world?.close();
    xvnc?.kill();
  });

  const wsUrl = (path: string) => world.base.replace('http', 'ws') + path;
  const shadowGrant = async (session = teacher, stack = stackId) => world.api<ShadowGrant & { code?: string; message?: string }>(session, 'POST', `/api/v1/class/stacks/${stack}/shadow`);
  /** Fresh protocols per attempt: tokens are single use, and Xvnc may still be starting. */
  const freshShadow = async () => (await shadowGrant()).body.protocols;
  const watched = async () => (await world.api<{ desktopWatch: { watchers: number; takenOver: boolean } | null }>(learner, 'GET', `/api/v1/me/stacks/${stackId}`)).body.desktopWatch;

  test('a desktop shadow token for the instructor of the course only; an RDP desktop nobody has open is refused with the reason', async () => {
    const grant = await shadowGrant();
    assert.equal(grant.status, 200, JSON.stringify(grant.body));
    assert.equal(grant.body.screen, 'desktop');
    assert.equal(grant.body.server, 'desktop', 'the lab\'s screen, not its ssh port');
    assert.equal(grant.body.path, `/gateway/stacks/${stackId}/desktop-shadow`);
    assert.equal(grant.body.mayTakeOver, true);
    const other = await shadowGrant(otherTeacher);
    assert.equal(other.status, 404, 'another course\'s instructor: as if the stack did not exist');
    assert.equal(other.body.code, 'STACK_NOT_FOUND');
    const own = await shadowGrant(learner);
    assert.equal(own.status, 403, 'a learner, even of their own desktop');
    // An RDP desktop is watched by joining the learner's open session (test/gateway/rdp-shadow.test.ts).
    const rdp = await shadowGrant(teacher, rdpStack);
    assert.equal(rdp.status, 409);
    assert.match(rdp.body.message ?? '', /has no remote desktop open right now/);
    assert.equal((await shadowGrant(teacher, readOnlyStack)).body.mayTakeOver, false, 'a read-only lab is watched, never taken over');
  });

  test('the gateway refuses a learner\'s own desktop token, another course\'s watcher, an expired token and a used one', async () => {
    const keys = world.runtime.ctx.keys;
    const url = wsUrl(`/gateway/stacks/${stackId}/desktop-shadow`);
    const token = async (claims: { learner: string; context?: string; kind?: 'vnc' | 'desktop-shadow' }, ttl = 60) =>
      [PROTOCOL, TOKEN_PROTOCOL_PREFIX + (await signConnectionToken(keys, { stackId, server: 'desktop', kind: 'desktop-shadow', readOnly: false, ...claims }, ttl))];
    // The learner's own desktop grant opens their desktop, not a watcher's socket.
    const own = await world.api<{ protocols: string[] }>(learner, 'POST', `/api/v1/me/stacks/${stackId}/connections`, {});
    await assert.rejects(openSocket(url, own.body.protocols), { status: 403 });
    await assert.rejects(openSocket(url, await token({ learner: 'dana', context: 'course-1', kind: 'vnc' })), { status: 403 });
    // Signed for a watcher of another course (or of none): the stack is not theirs to watch.
    await assert.rejects(openSocket(url, await token({ learner: 'other-teacher', context: 'course-2' })), { status: 403 });
    await assert.rejects(openSocket(url, await token({ learner: 'teacher' })), { status: 403 });
    // Expired: right in every other way, but its expiry passed half a minute ago.
    await assert.rejects(openSocket(url, await token({ learner: 'teacher', context: 'course-1' }, -30)), { status: 401 });
    // Used: a token opens one connection.
    const once = await token({ learner: 'teacher', context: 'course-1' });
    (await openSocket(url, once)).close();
    await assert.rejects(openSocket(url, once), { status: 401 });
    // A desktop shadow token does not open the learner's own desktop route either.
    const grant = (await shadowGrant()).body;
    await assert.rejects(openSocket(wsUrl(`/gateway/stacks/${stackId}/vnc`), grant.protocols), { status: 403 });
    await eventually(async () => ((await watched()) === null ? true : undefined), 5000, 'the one watcher let in to leave again');
  });

  test('the watcher sees the desktop; take-over and give-back are confirmed to it, told to the learner, and written in the history', async () => {
    const staffActionsBefore = (await world.runtime.ctx.stacks.events(stackId)).filter((e) => e.kind === 'staff_action').length;
    const { client, init } = await RfbClient.connect(wsUrl(`/gateway/stacks/${stackId}/desktop-shadow`), freshShadow);
    assert.deepEqual([init.width, init.height], [640, 480]);
    assert.equal(await client.updateOnePixel(init.bytesPerPixel), 0, 'a FramebufferUpdate reaches the watcher');
    assert.deepEqual(await watched(), { watchers: 1, takenOver: false }, 'the learner\'s status poll says one instructor watches');

    // Keys sent while watching are dropped by the gateway, and the stream stays in one piece after them.
    client.type('echo dropped\r');
    client.click(10, 10);
    assert.equal(await client.updateOnePixel(init.bytesPerPixel), 0);

    client.control({ type: 'takeover' });
    await client.controlMatching((c) => c.type === 'mode' && c.mode === 'takeover');
    assert.deepEqual(await watched(), { watchers: 1, takenOver: true });
    client.type('x');
    assert.equal(await client.updateOnePixel(init.bytesPerPixel), 0, 'input passed, framed whole: the desktop still answers');
    client.control({ type: 'release' });
    await client.controlMatching((c) => c.type === 'mode' && c.mode === 'watch');
    assert.deepEqual(await watched(), { watchers: 1, takenOver: false });

    client.close();
    await eventually(async () => ((await watched()) === null ? true : undefined), 5000, 'the learner told nobody watches any more');
    const staffActions = await eventually(async () => {
      const found = (await world.runtime.ctx.stacks.events(stackId)).filter((e) => e.kind === 'staff_action').slice(staffActionsBefore);
      return found.length >= 4 ? found : undefined;
    }, 5000, 'the watching written in the history');
    assert.deepEqual(
      staffActions.map((e) => `${e.actor} ${e.fromState}->${e.toState} ${e.reason}`),
      [
        "instructor:teacher READY->READY started watching the learner's desktop",
        "instructor:teacher READY->READY took over the learner's desktop",
        "instructor:teacher READY->READY gave the learner's desktop back",
        "instructor:teacher READY->READY stopped watching the learner's desktop",
      ],
    );
  });

  test('on a read-only lab a take-over is not granted: the watcher stays in watch mode', async () => {
    const grant = async () => (await shadowGrant(teacher, readOnlyStack)).body.protocols;
    const { client, init } = await RfbClient.connect(wsUrl(`/gateway/stacks/${readOnlyStack}/desktop-shadow`), grant);
    client.control({ type: 'takeover' });
    client.control({ type: 'ping' });
    // The pong comes after whatever the takeover caused: no mode change came before it.
    await client.controlMatching((c) => c.type === 'pong');
    assert.equal(client.controls.filter((c) => c.type === 'mode' && c.mode === 'takeover').length, 0);
    assert.equal(await client.updateOnePixel(init.bytesPerPixel), 0);
    client.close();
  });

  test('a watcher the desktop drops is told so: its socket closes instead of staying open without pixels', async () => {
    // Xvnc 1.12 (the lab image's) drops a viewer that gets a screen-layout change before its SetEncodings
    // said it understands one ("Client does not support desktop size changes"), and the learner's own
    // viewer makes such changes with SetDesktopSize, even to the same size. A watcher is exactly that
    // viewer for the few milliseconds after the handshake; here it stays so (it never sends SetEncodings).
    const { client: watcher } = await RfbClient.connect(wsUrl(`/gateway/stacks/${stackId}/desktop-shadow`), freshShadow);
    const own = async () => (await world.api<{ protocols: string[] }>(learner, 'POST', `/api/v1/me/stacks/${stackId}/connections`, {})).body.protocols;
    const { client: mine, init } = await RfbClient.connect(wsUrl(`/gateway/stacks/${stackId}/vnc`), own);
    mine.setDesktopSize(init.width, init.height, await mine.screenLayout());
    // The watcher sends nothing from here on: a write into the tunnel is what used to end it at last.
    // Xvnc 1.12 (here and in the lab image) drops it; the gateway must pass that on. The timer only bounds
    // the wait, so a socket left open fails with its cause instead of at the test's own time limit.
    let bound: NodeJS.Timeout | undefined;
    const stayedOpen = new Promise<never>((_, reject) => {
      bound = setTimeout(() => reject(new Error("the watcher's socket stayed open after Xvnc dropped it")), 30_000);
    });
    try {
      assert.deepEqual(await Promise.race([watcher.closed, stayedOpen]), { code: 1000, reason: 'desktop closed' });
    } finally {
      clearTimeout(bound);
    }
    mine.close();
    await eventually(async () => ((await watched()) === null ? true : undefined), 5000, 'the learner told nobody watches any more');
  });
});
