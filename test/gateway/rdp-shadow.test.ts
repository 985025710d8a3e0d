/**
 * Course staff watching a learner's RDP desktop, against a SCRIPTED GUACD PEER
 * (test/gateway/support/scripted-guacd.ts), not a real guacd: guacd is not packaged in Debian, so no real
 * guacd runs in CI, and this is the only place RDP shadowing is tested. The peer scripts guacd 1.5.5's
 * join (a `select` naming a running connection's id, unknown ids refused as guacd refuses them).
 * What is proven here: the class API signs a watcher's token only while the learner's desktop is open,
 * the gateway joins the learner's own guacd connection with exactly guacd's join handshake (read-only,
 * no lab login), drops the watcher's input until a take-over, joins again without read-only to take
 * over and read-only to give back (letting go of held keys), tells the learner and the history, ends the
 * watch when the learner closes their desktop, and authorises as for a VNC desktop.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PROTOCOL, signConnectionToken, TOKEN_PROTOCOL_PREFIX } from '../../src/gateway/connection-token.ts';
import { encodeInstruction, type Instruction } from '../../src/gateway/guacamole-protocol.ts';
import { joinGuacdSession } from '../../src/gateway/guacd-handshake.ts';
import { GuacStatusError } from '../../src/gateway/guac-status-error.ts';
import { issueSession } from '../../src/http/session.ts';
import { eventually } from '../support/eventually.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { gatewayWorld, openSocket, sshLab, type GatewayWorld } from './support/gateway-world.ts';
import { Page } from './support/guac-page.ts';
import { HAVE_SSHD } from './support/local-sshd.ts';
import { RDP_ARGS, ScriptedGuacd, type GuacdConnection } from './support/scripted-guacd.ts';

const PASSWORD = 'rdp-Pa55word-for-the-learner-only';

interface ShadowGrant {
  path: string;
  protocols: string[];
  screen: string;
  protocol?: string;
  server: string;
  mayTakeOver: boolean;
}

const isControl = (what: string, ...rest: string[]) => (i: Instruction) => i.opcode === '' && i.args[0] === what && rest.every((r, k) => i.args[k + 1] === r);

describe('class view: watching an RDP desktop (scripted guacd peer)', { skip: skipUnless(HAVE_SSHD, 'needs sshd (apt-get install openssh-server)') }, () => {
  let world: GatewayWorld;
  let guacd: ScriptedGuacd;
  let learner: string;
  let teacher: string;
  let otherTeacher: string;
  let stackId: string;
  let viewerStack: string;
  let viewerLearner: string;

  before(async () => {
    guacd = await ScriptedGuacd.start();
    world = await gatewayWorld(
      (sshd) => [sshLab(sshd, { id: 'windows', protocol: 'rdp', port: 3389 }), sshLab(sshd, { id: 'viewer', protocol: 'rdp', port: 3389, readOnly: true })],
      { guacd_url: guacd.url },
      { password: PASSWORD },
    );
    const keys = world.runtime.ctx.keys;
    learner = await world.session('rosa');
    viewerLearner = await world.session('sam');
    teacher = await issueSession(keys, { learner: 'teacher', context: 'course-1', roles: ['Instructor', 'Learner'] }, 600);
    otherTeacher = await issueSession(keys, { learner: 'other-teacher', context: 'course-2', roles: ['Instructor', 'Learner'] }, 600);
    stackId = await world.launch(learner, 'windows');
    viewerStack = await world.launch(viewerLearner, 'viewer');
  });
  after(async () => {
    await world?.close();
    await guacd?.close();
  });

  const wsUrl = (path: string) => world.base.replace('http', 'ws') + path;
  const shadowGrant = (session = teacher, stack = stackId) => world.api<ShadowGrant & { code?: string; message?: string }>(session, 'POST', `/api/v1/class/stacks/${stack}/shadow`);
  const watched = async () => (await world.api<{ desktopWatch: { watchers: number; takenOver: boolean } | null }>(learner, 'GET', `/api/v1/me/stacks/${stackId}`)).body.desktopWatch;

  /** The learner opens their desktop: the owner's guacd connection, drawn once. */
  async function learnerDesktop(session = learner, stack = stackId): Promise<{ page: Page; owner: GuacdConnection }> {
    const grant = await world.api<{ path: string; protocols: string[] }>(session, 'POST', `/api/v1/me/stacks/${stack}/connections`, {});
    const next = guacd.nextConnection();
    const page = new Page(await openSocket(wsUrl(grant.body.path), grant.body.protocols));
    const owner = await next;
    await page.waitFor((i) => i.opcode === 'sync');
    return { page, owner };
  }

  /** The instructor's class view opens the watcher's socket: the join guacd sees, once drawn. */
  async function watcher(query = '', stack = stackId): Promise<{ page: Page; join: GuacdConnection }> {
    const grant = await shadowGrant(teacher, stack);
    assert.equal(grant.status, 200, JSON.stringify(grant.body));
    const next = guacd.nextConnection();
    const page = new Page(await openSocket(wsUrl(grant.body.path) + query, grant.body.protocols));
    const join = await next;
    await page.waitFor((i) => i.opcode === 'sync');
    return { page, join };
  }

  test('the class API refuses while the learner has no desktop open, with the reason; then signs for the course\'s instructor only', async () => {
    const none = await shadowGrant();
    assert.equal(none.status, 409);
    assert.match(none.body.message ?? '', /has no remote desktop open right now/);

    const { page } = await learnerDesktop();
    const grant = await shadowGrant();
    assert.equal(grant.status, 200, JSON.stringify(grant.body));
    assert.equal(grant.body.screen, 'desktop');
    assert.equal(grant.body.protocol, 'rdp');
    assert.equal(grant.body.server, 'default');
    assert.equal(grant.body.path, `/gateway/stacks/${stackId}/desktop-shadow`);
    assert.equal(grant.body.mayTakeOver, true);
    assert.ok(!JSON.stringify(grant.body).includes('$scripted'), "guacd's connection id stays on the server");
    const other = await shadowGrant(otherTeacher);
    assert.equal(other.status, 404, "another course's instructor: as if the stack did not exist");
    assert.equal((await shadowGrant(learner)).status, 403, 'a learner, even of their own desktop');
    assert.equal((await shadowGrant(teacher, viewerStack)).status, 409, 'another learner\'s desktop is not open');
    page.ws.close();
    await page.closed;
    await eventually(async () => ((await shadowGrant()).status === 409 ? true : undefined), 5000, 'the closed desktop to be unpublished');
  });

  test("the watcher joins the learner's own connection with guacd's join handshake: its id, read-only, no login", async () => {
    const { page: learnerPage, owner } = await learnerDesktop();
    const { page, join } = await watcher('?width=1000&height=700&dpi=96&tz=Europe/Berlin&image=image/png');
    assert.equal(join.received[0].raw, encodeInstruction('select', owner.id ?? 'no id'), "select names the learner's connection");
    assert.deepEqual(
      join.received.slice(1, 7).map((i) => i.opcode),
      ['size', 'audio', 'video', 'image', 'timezone', 'connect'],
    );
    assert.deepEqual(join.handshake('size')?.args, ['1000', '700', '96']);
    assert.equal(join.handshake('connect')?.args.length, RDP_ARGS.length, 'one value for each of the args guacd sent');
    assert.deepEqual(
      Object.fromEntries(Object.entries(join.params).filter(([, value]) => value !== '')),
      { VERSION_1_5_0: 'VERSION_1_5_0', 'read-only': 'true' },
      'a joining user sets read-only and nothing else: no host, no login',
    );
    assert.ok(!join.received.some((i) => i.raw.includes(PASSWORD)), 'the lab password is not sent again');
    assert.ok(page.instructions.some(isControl('mode', 'watch')), 'the watcher is told it watches');
    assert.ok(!page.frames.join('').includes(owner.id ?? 'no id'), "guacd's connection id never reaches the watcher's page");
    assert.deepEqual(await watched(), { watchers: 1, takenOver: false }, "the learner's status poll says an instructor watches");
    page.ws.close();
    await join.waitFor((i) => i.opcode === 'disconnect', 5000);
    assert.equal(owner.closed, false, "the watcher leaving leaves the learner's connection alone");
    learnerPage.ws.close();
    await learnerPage.closed;
  });

  test('input is dropped until a take-over, which joins again writable; giving back lets go of held keys and joins read-only; history and learner told', async () => {
    const before = (await world.runtime.ctx.stacks.events(stackId)).filter((e) => e.kind === 'staff_action').length;
    const { page: learnerPage, owner } = await learnerDesktop();
    const { page, join } = await watcher();
    page.send(encodeInstruction('key', 97, 1) + encodeInstruction('mouse', 5, 5, 1) + encodeInstruction('size', 300, 200) + encodeInstruction('clipboard', 1, 'text/plain'));
    page.send(encodeInstruction('sync', 1000));
    await join.waitFor((i) => i.opcode === 'sync');
    assert.deepEqual(join.relayed().map((i) => i.opcode), ['sync'], 'keys, mouse, size and clipboard stop at the gateway while watching');

    const writableNext = guacd.nextConnection();
    page.send(encodeInstruction('', 'takeover'));
    const writable = await writableNext;
    await page.waitFor(isControl('mode', 'takeover'));
    assert.equal(writable.received[0].raw, encodeInstruction('select', owner.id ?? 'no id'));
    assert.equal(writable.params['read-only'], '', 'the take-over joins without read-only');
    await join.waitFor((i) => i.opcode === 'disconnect', 5000);
    assert.deepEqual(await watched(), { watchers: 1, takenOver: true }, 'the learner is told of the take-over');

    page.send(encodeInstruction('key', 65507, 1) + encodeInstruction('key', 99, 1) + encodeInstruction('key', 99, 0) + encodeInstruction('size', 300, 200));
    await writable.waitFor((i) => i.opcode === 'key' && i.args[0] === '99' && i.args[1] === '0');
    assert.deepEqual(
      writable.relayed().map((i) => [i.opcode, ...i.args]),
      [['key', '65507', '1'], ['key', '99', '1'], ['key', '99', '0']],
      "the instructor's keys reach the writable join; a resize still does not",
    );

    const readOnlyNext = guacd.nextConnection();
    page.send(encodeInstruction('', 'release'));
    // Input stops at once, before the read-only join is made.
    await page.waitFor(isControl('mode', 'watch'), 5000);
    const again = await readOnlyNext;
    await again.waitFor((i) => i.opcode === 'connect');
    assert.equal(again.params['read-only'], 'true', 'giving back joins read-only again');
    await writable.waitFor((i) => i.opcode === 'disconnect', 5000);
    const tail = writable.relayed().map((i) => [i.opcode, ...i.args]).slice(3);
    assert.deepEqual(tail, [['key', '65507', '0'], ['disconnect']], 'the held Ctrl is let go of before the writable join leaves');
    page.send(encodeInstruction('key', 98, 1) + encodeInstruction('sync', 2000));
    await again.waitFor((i) => i.opcode === 'sync');
    assert.deepEqual(again.relayed().map((i) => i.opcode), ['sync'], 'after giving back, input stops at the gateway again');
    assert.deepEqual(await watched(), { watchers: 1, takenOver: false });

    page.ws.close();
    await eventually(async () => ((await watched()) === null ? true : undefined), 5000, 'the learner told nobody watches');
    const actions = await eventually(async () => {
      const found = (await world.runtime.ctx.stacks.events(stackId)).filter((e) => e.kind === 'staff_action').slice(before);
      return found.length >= 4 ? found : undefined;
    }, 5000, 'the watching written in the history');
    assert.deepEqual(actions.map((e) => `${e.actor} ${e.reason}`), [
      "instructor:teacher started watching the learner's desktop",
      "instructor:teacher took over the learner's desktop",
      "instructor:teacher gave the learner's desktop back",
      "instructor:teacher stopped watching the learner's desktop",
    ]);
    learnerPage.ws.close();
    await learnerPage.closed;
  });

  test('the learner closing their desktop ends the watch with the reason, and the join leaves guacd', async () => {
    const { page: learnerPage } = await learnerDesktop();
    const { page, join } = await watcher();
    learnerPage.ws.close();
    await page.waitFor(isControl('ended', 'class.shadowDesktopGone'), 5000);
    assert.equal(await page.closed, 1000);
    await join.waitFor((i) => i.opcode === 'disconnect', 5000);
  });

  test('a read-only lab is watched, never taken over: the join stays read-only', async () => {
    const { page: learnerPage } = await learnerDesktop(viewerLearner, viewerStack);
    assert.equal((await shadowGrant(teacher, viewerStack)).body.mayTakeOver, false);
    const { page } = await watcher('', viewerStack);
    const joins = guacd.connections.length;
    page.send(encodeInstruction('', 'takeover') + encodeInstruction('', 'ping', 7));
    // The pong comes after whatever the take-over caused.
    await page.waitFor(isControl('ping', '7'));
    assert.equal(page.instructions.filter(isControl('mode', 'takeover')).length, 0);
    assert.equal(guacd.connections.length, joins, 'no writable join was made');
    page.ws.close();
    learnerPage.ws.close();
    await learnerPage.closed;
  });

  test("the gateway refuses a learner's own token, another course's watcher, an expired token and a used one", async () => {
    const { page: learnerPage } = await learnerDesktop();
    const keys = world.runtime.ctx.keys;
    const url = wsUrl(`/gateway/stacks/${stackId}/desktop-shadow`);
    const token = async (claims: { learner: string; context?: string; kind?: 'rdp' | 'desktop-shadow' }, ttl = 60) =>
      [PROTOCOL, TOKEN_PROTOCOL_PREFIX + (await signConnectionToken(keys, { stackId, server: 'default', kind: 'desktop-shadow', readOnly: false, ...claims }, ttl))];
    const own = await world.api<{ protocols: string[] }>(learner, 'POST', `/api/v1/me/stacks/${stackId}/connections`, {});
    await assert.rejects(openSocket(url, own.body.protocols), { status: 403 }, "the learner's own desktop token");
    await assert.rejects(openSocket(url, await token({ learner: 'rosa', context: 'course-1', kind: 'rdp' })), { status: 403 });
    await assert.rejects(openSocket(url, await token({ learner: 'other-teacher', context: 'course-2' })), { status: 403 }, "another course's watcher");
    await assert.rejects(openSocket(url, await token({ learner: 'teacher' })), { status: 403 }, 'a watcher of no course');
    await assert.rejects(openSocket(url, await token({ learner: 'teacher', context: 'course-1' }, -30)), { status: 401 }, 'expired');
    const grant = (await shadowGrant()).body;
    await assert.rejects(openSocket(wsUrl(`/gateway/stacks/${stackId}/rdp`), grant.protocols), { status: 403 }, "a watcher's token on the learner's route");
    const once = await token({ learner: 'teacher', context: 'course-1' });
    (await openSocket(url, once)).close();
    await assert.rejects(openSocket(url, once), { status: 401 }, 'used');
    learnerPage.ws.close();
    await learnerPage.closed;
  });

  test("joining an id guacd does not know is refused as guacd refuses it, and said as the learner's desktop being gone", async () => {
    const settings = { readOnly: true, width: 800, height: 600, dpi: 96, audio: [], video: [], image: [] };
    await assert.rejects(joinGuacdSession({ host: '127.0.0.1', port: guacd.port }, '$no-such-connection', settings), (error: unknown) => {
      assert.ok(error instanceof GuacStatusError, String(error));
      assert.equal(error.said.key, 'class.shadowDesktopGone');
      assert.match(error.detail ?? '', /No such connection\. \(status 516\)/);
      return true;
    });
  });
});
