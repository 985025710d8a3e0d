/**
 * The terminal gateway against a real sshd: a learner's page asks for a connection token and types into
 * a real shell through the WebSocket; tokens of other learners, forged, expired or for another stack
 * are refused BEFORE the upgrade.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { SignJWT } from 'jose';
import { signConnectionToken, PROTOCOL, TOKEN_PROTOCOL_PREFIX } from '../../src/gateway/connection-token.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { HAVE_SSHD } from './support/local-sshd.ts';
import { gatewayWorld, openSocket, Screen, sshLab, type GatewayWorld } from './support/gateway-world.ts';

interface Grant {
  path: string;
  protocols: string[];
  readOnly: boolean;
}

describe('terminal gateway', { skip: skipUnless(HAVE_SSHD, 'OpenSSH server (/usr/sbin/sshd) is not installed: apt-get install openssh-server') }, () => {
  let world: GatewayWorld;
  let alice: string;
  let bob: string;
  let aliceStack: string;
  let bobStack: string;

  before(async () => {
    world = await gatewayWorld((sshd) => [
      sshLab(sshd),
      sshLab(sshd, { id: 'watch', readOnly: true }),
      // Two servers: the jump host itself, and "inner" reached THROUGH it (here: the same sshd by another address).
      sshLab(sshd, { id: 'multi', ports: [{ name: 'jump', number: sshd.port }, { name: 'inner', host: '127.0.0.2', number: sshd.port }] }),
    ]);
    alice = await world.session('alice');
    bob = await world.session('bob');
    aliceStack = await world.launch(alice, 'shell');
    bobStack = await world.launch(bob, 'shell');
  });
  after(async () => world?.close());

  async function grant(session: string, stackId: string): Promise<Grant> {
    const response = await world.api<Grant>(session, 'POST', `/api/v1/me/stacks/${stackId}/connections`, {});
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body;
  }

  const wsUrl = (path: string) => world.base.replace('http', 'ws') + path;

  test('a learner types hostname and arithmetic and reads the output', async () => {
    const g = await grant(alice, aliceStack);
    assert.ok(!JSON.stringify(g).includes('PRIVATE KEY'), 'no key material reaches the browser');
    const ws = await openSocket(wsUrl(g.path) + '?cols=100&rows=30', g.protocols);
    const screen = new Screen(ws);
    screen.type('hostname; echo "sum=$((6*7))"\r');
    await screen.waitFor(/sum=42/);
    assert.match(screen.text, new RegExp(hostname()));
    screen.type("stty size; printf 'caf\\303\\251 \\342\\234\\223\\n'\r");
    await screen.waitFor(/30 100/);
    await screen.waitFor(/café ✓/);
    ws.send(JSON.stringify({ type: 'resize', cols: 132, rows: 43 }));
    screen.type('stty size\r');
    await screen.waitFor(/43 132/);
    ws.close();
  });

  test('typed UTF-8 input arrives intact', async () => {
    const g = await grant(alice, aliceStack);
    const screen = new Screen(await openSocket(wsUrl(g.path), g.protocols));
    screen.type('echo "naïve Ω" | od -An -tx1 | tr -d " \\n"; echo\r');
    // n a ï(c3 af) v e space Ω(ce a9) newline
    await screen.waitFor(/6e61c3af766520cea90a/);
    screen.ws.close();
  });

  test("another learner's token is refused on the first learner's socket", async () => {
    const bobGrant = await grant(bob, bobStack);
    const aliceGrant = await grant(alice, aliceStack);
    await assert.rejects(openSocket(wsUrl(aliceGrant.path), bobGrant.protocols), { status: 403 });
    // Bob cannot get a token for Alice's stack either: to him it does not exist.
    const refused = await world.api<{ code: string }>(bob, 'POST', `/api/v1/me/stacks/${aliceStack}/connections`, {});
    assert.equal(refused.status, 404);
    assert.equal(refused.body.code, 'STACK_NOT_FOUND');
    // And Bob's own token still opens Bob's terminal.
    const ws = await openSocket(wsUrl(bobGrant.path), bobGrant.protocols);
    ws.close();
  });

  test('missing, forged, expired and misbound tokens are refused before the upgrade', async () => {
    const path = `/gateway/stacks/${aliceStack}/terminal`;
    await assert.rejects(openSocket(wsUrl(path), [PROTOCOL]), { status: 401 });
    const forged = await new SignJWT({ stk: aliceStack, srv: 'default', knd: 'terminal', ro: false })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setAudience('stacklab:gateway')
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode('not-the-server-key-not-the-server-key'));
    await assert.rejects(openSocket(wsUrl(path), [PROTOCOL, TOKEN_PROTOCOL_PREFIX + forged]), { status: 401 });
    const keys = world.runtime.ctx.keys;
    const expired = await new SignJWT({ stk: aliceStack, srv: 'default', knd: 'terminal', ro: false })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setAudience('stacklab:gateway')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 300)
      .sign(keys.key('connection-token'));
    await assert.rejects(openSocket(wsUrl(path), [PROTOCOL, TOKEN_PROTOCOL_PREFIX + expired]), { status: 401 });
    // A genuine token of Alice's for her stack, used on Bob's stack path.
    const genuine = await signConnectionToken(keys, { learner: 'alice', stackId: aliceStack, server: 'default', kind: 'terminal', readOnly: false }, 60);
    await assert.rejects(openSocket(wsUrl(`/gateway/stacks/${bobStack}/terminal`), [PROTOCOL, TOKEN_PROTOCOL_PREFIX + genuine]), { status: 403 });
    // A token naming Alice for Bob's stack (as if the key had signed a wrong grant) fails the owner check.
    const misbound = await signConnectionToken(keys, { learner: 'alice', stackId: bobStack, server: 'default', kind: 'terminal', readOnly: false }, 60);
    await assert.rejects(openSocket(wsUrl(`/gateway/stacks/${bobStack}/terminal`), [PROTOCOL, TOKEN_PROTOCOL_PREFIX + misbound]), { status: 403 });
    // A terminal token does not open the desktop bridge.
    await assert.rejects(openSocket(wsUrl(`/gateway/stacks/${aliceStack}/vnc`), [PROTOCOL, TOKEN_PROTOCOL_PREFIX + genuine]), { status: 403 });
  });

  test('a read-only terminal shows output but ignores keystrokes', async () => {
    const stack = await world.launch(alice, 'watch');
    const g = await grant(alice, stack);
    assert.equal(g.readOnly, true);
    const screen = new Screen(await openSocket(wsUrl(g.path), g.protocols));
    await screen.waitFor(/[$#] $/m);
    screen.type('echo "typed=$((40+2))"\r');
    await new Promise((r) => setTimeout(r, 1000));
    assert.doesNotMatch(screen.text, /typed=42/);
    screen.ws.close();
  });

  test('the shell pauses while the browser is behind and resumes after (backpressure)', async () => {
    const g = await grant(alice, aliceStack);
    const screen = new Screen(await openSocket(wsUrl(g.path), g.protocols));
    screen.type('echo "re""ady"\r');
    await screen.waitFor(/ready/);
    screen.ws.send(JSON.stringify({ type: 'pause' }));
    await new Promise((r) => setTimeout(r, 200));
    const before = screen.bytes;
    screen.type('head -c 30000000 /dev/zero | tr "\\0" x; echo; echo "DO""NE"\r');
    await new Promise((r) => setTimeout(r, 1500));
    const whilePaused = screen.bytes - before;
    assert.ok(whilePaused < 8_000_000, `only buffers in flight arrive while paused (got ${whilePaused} bytes)`);
    screen.ws.send(JSON.stringify({ type: 'resume' }));
    await screen.waitFor(/DONE/, 60_000);
    assert.ok(screen.bytes - before >= 30_000_000, `all output arrives after resume (got ${screen.bytes - before})`);
    screen.ws.close();
  });

  test('a lab with several servers: each is offered, and a server behind the jump host is reached through it', async () => {
    const lab = await world.api<{ lab: { servers: string[] } }>(alice, 'GET', '/api/v1/me/labs/multi');
    assert.deepEqual(lab.body.lab.servers, ['jump', 'inner']);
    const stack = await world.launch(alice, 'multi');
    const inner = await world.api<Grant>(alice, 'POST', `/api/v1/me/stacks/${stack}/connections`, { server: 'inner' });
    assert.equal(inner.status, 200);
    const screen = new Screen(await openSocket(wsUrl(inner.body.path), inner.body.protocols));
    // The inner connection arrives from the jump host's forwarding, so sshd sees it come from 127.0.0.1 to 127.0.0.2.
    screen.type('echo "via=${SSH_CONNECTION%% *}>$(echo $SSH_CONNECTION | cut -d" " -f3)"\r');
    await screen.waitFor(/via=127\.0\.0\.1>127\.0\.0\.2/);
    screen.ws.close();
    const unknown = await world.api<{ code: string }>(alice, 'POST', `/api/v1/me/stacks/${stack}/connections`, { server: 'nope' });
    assert.equal(unknown.status, 400);
  });

  test('a stack that is not READY gets no token and no socket', async () => {
    const token = await signConnectionToken(world.runtime.ctx.keys, { learner: 'alice', stackId: aliceStack, server: 'default', kind: 'terminal', readOnly: false }, 60);
    await world.runtime.ctx.stacks.requestSuspend(aliceStack, 'test');
    try {
      const refused = await world.api<{ code: string }>(alice, 'POST', `/api/v1/me/stacks/${aliceStack}/connections`, {});
      assert.equal(refused.status, 409);
      await assert.rejects(openSocket(wsUrl(`/gateway/stacks/${aliceStack}/terminal`), [PROTOCOL, TOKEN_PROTOCOL_PREFIX + token]), { status: 409 });
    } finally {
      await world.runtime.ctx.stacks.keepalive(aliceStack, 'test');
    }
  });
});
