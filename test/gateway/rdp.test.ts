/**
 * The RDP gateway against a SCRIPTED GUACD PEER (test/gateway/support/scripted-guacd.ts), not a real
 * guacd: guacd is not packaged in Debian, so no real guacd runs in CI. The peer records what stacklab
 * sends in the handshake and relays; the lab's jump host is a real sshd, so the forward through SSH to
 * a desktop behind the jump host is real.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server } from 'node:net';
import { signConnectionToken, TOKEN_PROTOCOL_PREFIX, PROTOCOL } from '../../src/gateway/connection-token.ts';
import { encodeInstruction } from '../../src/gateway/guacamole-protocol.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { gatewayWorld, openSocket, sshLab, type GatewayWorld } from './support/gateway-world.ts';
import { HAVE_SSHD } from './support/local-sshd.ts';
import { RDP_ARGS, ScriptedGuacd, UPSTREAM_REFUSED } from './support/scripted-guacd.ts';
import { openGuacdSession } from '../../src/gateway/guacd-handshake.ts';
import { GuacStatusError } from '../../src/gateway/guac-status-error.ts';
import { Page } from './support/guac-page.ts';

/** Long enough for the other tests' forwards to outlive their checks, short enough to wait out in one. */
const FORWARD_WINDOW_SECONDS = 5;

const PASSWORD = 'rdp-Pa55word-never-in-the-browser';

describe('RDP gateway (scripted guacd peer, real sshd as jump host)', { skip: skipUnless(HAVE_SSHD, 'needs sshd (apt-get install openssh-server)') }, () => {
  let world: GatewayWorld;
  let guacd: ScriptedGuacd;
  let standIn: Server;
  let standInPort = 0;
  let session: string;
  const stacks: Record<string, string> = {};

  before(async () => {
    guacd = await ScriptedGuacd.start();
    // Stands in for an RDP server behind the jump host: says who it is to whoever connects.
    standIn = createServer((socket) => socket.end('RDP-STAND-IN\n'));
    await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve));
    standInPort = (standIn.address() as { port: number }).port;
    world = await gatewayWorld(
      (sshd) => [
        sshLab(sshd, { id: 'windows', protocol: 'rdp', port: 3389 }),
        sshLab(sshd, { id: 'viewer', protocol: 'rdp', port: 3389, readOnly: true }),
        sshLab(sshd, { id: 'behind', protocol: 'rdp', port: 3389, ports: [{ name: 'ssh', number: sshd.port }, { name: 'desktop', host: '127.0.0.1', number: standInPort }] }),
        sshLab(sshd, { id: 'shell' }),
      ],
      { guacd_url: guacd.url, rdp_forward_window: FORWARD_WINDOW_SECONDS },
      { password: PASSWORD },
    );
    session = await world.session('rita');
    for (const lab of ['windows', 'viewer', 'behind', 'shell']) stacks[lab] = await world.launch(session, lab);
  });
  after(async () => {
    await world?.close();
    await guacd?.close();
    standIn?.close();
  });

  async function grant(lab: string, who = session): Promise<{ path: string; protocols: string[]; kind: string }> {
    const response = await world.api<{ path: string; protocols: string[]; kind: string }>(who, 'POST', `/api/v1/me/stacks/${stacks[lab]}/connections`, {});
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body;
  }

  async function openPage(lab: string, query = ''): Promise<Page> {
    const g = await grant(lab);
    assert.equal(g.kind, 'rdp');
    return new Page(await openSocket(world.base.replace('http', 'ws') + g.path + query, g.protocols));
  }

  /** A page whose session reached guacd and drew its first frame, with the guacd peer it talks to. */
  async function openConnected(lab: string, query = '') {
    const next = guacd.nextConnection();
    const page = await openPage(lab, query);
    const peer = await next;
    await page.waitFor((i) => i.opcode === 'sync');
    return { page, peer };
  }

  /** Connects to a forward as guacd's RDP client would, and reads what the server behind it says. */
  function readForward(port: number): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let got = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (got += d));
      socket.on('end', () => resolve(got));
      socket.on('error', reject);
    });
  }

  test("the server does the handshake: select rdp, the lab's address, user and password, the page's display", async () => {
    const { page, peer } = await openConnected('windows', '?width=1280&height=720&dpi=120&tz=Europe/Zurich&audio=audio/L16&video=no%20such&image=image/png&image=image/jpeg');
    assert.equal(peer.received[0].raw, '6.select,3.rdp;');
    assert.deepEqual(
      peer.received.slice(1, 7).map((i) => i.opcode),
      ['size', 'audio', 'video', 'image', 'timezone', 'connect'],
      'handshake instructions in protocol order',
    );
    assert.deepEqual(peer.handshake('size')?.args, ['1280', '720', '120']);
    assert.deepEqual(peer.handshake('audio')?.args, ['audio/L16']);
    assert.deepEqual(peer.handshake('video')?.args, [], 'an invalid media type is dropped');
    assert.deepEqual(peer.handshake('image')?.args, ['image/png', 'image/jpeg']);
    assert.deepEqual(peer.handshake('timezone')?.args, ['Europe/Zurich']);
    assert.equal(peer.handshake('connect')?.args.length, RDP_ARGS.length, 'one value for each of guacd 1.5.5\'s parameters');
    assert.deepEqual(
      Object.fromEntries(Object.entries(peer.params).filter(([, value]) => value !== '')),
      {
        VERSION_1_5_0: 'VERSION_1_5_0',
        hostname: world.sshd.host,
        port: '3389',
        username: world.sshd.user,
        password: PASSWORD,
        security: 'any',
        'ignore-cert': 'true',
        'resize-method': 'display-update',
        'color-depth': '24',
      },
      'the rest (width, height, dpi from `size`, timezone from `timezone`) is left to guacd',
    );
    const first = page.instructions[0];
    assert.equal(first.opcode, '', 'the tunnel opens on an internal instruction');
    assert.equal(first.args[0], '$scripted-' + guacd.connections.length, "with guacd's connection id");
    assert.ok(!page.frames.join('').includes(PASSWORD), 'the password never reaches the browser');
    assert.ok(!page.instructions.some((i) => i.opcode === 'args' || i.opcode === 'ready'), 'the handshake stays on the server');
    page.ws.close();
  });

  test('instructions are relayed whole both ways; handshake opcodes and pings from the page stay out of guacd', async () => {
    const { page, peer } = await openConnected('windows');
    page.send(encodeInstruction('key', 65307, 1));
    // One instruction cut across two WebSocket messages still arrives whole.
    page.send('5.mouse,2.');
    page.send('10,2.20,1.1;');
    page.send(encodeInstruction('connect', 'evil.example', '22') + encodeInstruction('select', 'ssh') + encodeInstruction('', 'ping', 42));
    page.send(encodeInstruction('sync', 1000));
    await peer.waitFor((i) => i.opcode === 'sync');
    const relayed = peer.relayed().map((i) => [i.opcode, ...i.args]);
    assert.deepEqual(relayed, [
      ['key', '65307', '1'],
      ['mouse', '10', '20', '1'],
      ['sync', '1000'],
    ]);
    await page.waitFor((i) => i.opcode === '' && i.args[0] === 'ping', 5000);

    // guacd -> page: a large instruction and a name with characters outside the BMP.
    const big = 'A'.repeat(300_000);
    peer.send(encodeInstruction('name', 'Lab 😀 café') + encodeInstruction('blob', 1, big) + encodeInstruction('nop'));
    await page.waitFor((i) => i.opcode === 'nop');
    assert.deepEqual(page.instructions.find((i) => i.opcode === 'name')?.args, ['Lab 😀 café']);
    assert.equal(page.instructions.find((i) => i.opcode === 'blob')?.args[1].length, big.length);

    page.ws.close();
    await page.closed;
    // guacd 1.5.5 notices a bare TCP close only after 15 s; `disconnect` ends its RDP session at once.
    await peer.waitFor((i) => i.opcode === 'disconnect', 2000);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(peer.closed, 'closing the page closes the guacd connection');
  });

  test('read-only: guacd is told so, and the page input never reaches it', async () => {
    const { page, peer } = await openConnected('viewer');
    assert.equal(peer.params['read-only'], 'true');
    page.send(encodeInstruction('key', 97, 1) + encodeInstruction('mouse', 1, 1, 1) + encodeInstruction('clipboard', 1, 'text/plain'));
    page.send(encodeInstruction('size', 800, 600) + encodeInstruction('sync', 1000));
    await peer.waitFor((i) => i.opcode === 'sync');
    assert.deepEqual(
      peer.relayed().map((i) => i.opcode),
      ['size', 'sync'],
    );
    page.ws.close();
  });

  test('a desktop behind the jump host: guacd gets a 127.0.0.1 forward through SSH, open only while the page is', async () => {
    const { page, peer } = await openConnected('behind');
    assert.equal(peer.params.hostname, '127.0.0.1');
    const port = Number(peer.params.port);
    assert.notEqual(port, standInPort, 'guacd is given the forward, not the server behind the jump host');
    // Connect as guacd's RDP client would: the bytes come from the server behind the jump host.
    assert.equal(await readForward(port), 'RDP-STAND-IN\n');
    page.ws.close();
    await page.closed;
    await new Promise((r) => setTimeout(r, 300));
    await assert.rejects(
      readForward(port),
      { code: 'ECONNREFUSED' },
      'the forward closes with the page',
    );
  });

  test('the forward takes new connections only in its window; the session goes on after it', async () => {
    const { page, peer } = await openConnected('behind');
    const port = Number(peer.params.port);
    assert.equal(await readForward(port), 'RDP-STAND-IN\n', 'inside the window the forward reaches the desktop');
    await new Promise((r) => setTimeout(r, FORWARD_WINDOW_SECONDS * 1000 + 500));
    await assert.rejects(readForward(port), { code: 'ECONNREFUSED' }, 'after the window a local process could still use the forward');
    assert.equal(page.ws.readyState, page.ws.OPEN, 'closing the window ended the session');
    page.ws.close();
    await page.closed;
  });

  test('guacd refusing, hanging up or down: the page gets a clear error and the socket closes with 1011', async () => {
    const expectError = async (message: RegExp, code: number, key: string) => {
      const page = await openPage('windows');
      const error = await page.waitFor((i) => i.opcode === 'error');
      assert.match(error.args[0], message);
      assert.equal(Number(error.args[1]), code);
      assert.deepEqual(error.args.slice(2), [key, '{}'], "the sentence's catalogue key and values follow, for the page to say it in its language");
      assert.equal(await page.closed, 1011);
      assert.ok(!page.frames.join('').includes(PASSWORD));
    };
    try {
      guacd.behaviour = 'refuse';
      await expectError(/remote desktop service \(guacd\) refused the connection; tell your course team/, 0x0200, 'screen.guacdRefused');
      guacd.behaviour = 'hang-up';
      await expectError(/guacd\) does not answer; retrying/, 0x0208, 'screen.guacdUnavailable');
      await guacd.stop();
      await expectError(/guacd\) does not answer; retrying/, 0x0208, 'screen.guacdUnavailable');
    } finally {
      guacd.behaviour = 'serve';
      await guacd.listen();
    }
  });

  test('guacd reaching no RDP server: its error reaches the page after the tunnel opened, then the socket closes', async () => {
    guacd.behaviour = 'upstream-refused';
    try {
      const page = await openPage('windows');
      const error = await page.waitFor((i) => i.opcode === 'error');
      assert.equal(page.instructions[0].opcode, '', 'the tunnel opened first, so the page treats it as the desktop failing');
      assert.equal(error.raw, UPSTREAM_REFUSED, 'relayed unchanged');
      assert.equal(await page.closed, 1000);
    } finally {
      guacd.behaviour = 'serve';
    }
  });

  test('guacd that never answers `select` (no RDP plugin): the handshake gives up with a clear error', async () => {
    guacd.behaviour = 'silent';
    try {
      const settings = { hostname: '127.0.0.1', port: 3389, username: 'u', password: 'p', readOnly: false, width: 800, height: 600, dpi: 96, audio: [], video: [], image: [] };
      await assert.rejects(openGuacdSession({ host: '127.0.0.1', port: guacd.port }, settings, 300), (error: unknown) => {
        assert.ok(error instanceof GuacStatusError, String(error));
        assert.match(error.message, /guacd\) does not answer; retrying/);
        assert.match(error.detail ?? '', /no args within 300 ms/);
        assert.equal(error.guacStatus, 0x0202);
        return true;
      });
    } finally {
      guacd.behaviour = 'serve';
    }
  });

  test("tokens: another learner's, a terminal token, or none do not open the desktop", async () => {
    const url = (lab: string, kind: string) => `${world.base.replace('http', 'ws')}/gateway/stacks/${stacks[lab]}/${kind}`;
    const mine = await grant('windows');
    const other = await world.session('mallory');
    await world.launch(other, 'windows');
    const theirs = await world.api<{ protocols: string[]; path: string }>(other, 'POST', `/api/v1/me/stacks/${(await world.runtime.ctx.stacks.list({ learner: 'mallory' }))[0].id}/connections`, {});
    await assert.rejects(openSocket(url('windows', 'rdp'), theirs.body.protocols), { status: 403 }, "another learner's token");
    await assert.rejects(openSocket(url('windows', 'terminal'), mine.protocols), { status: 403 }, 'an rdp token on the terminal route');
    await assert.rejects(openSocket(url('shell', 'rdp'), (await grant('shell')).protocols), { status: 403 }, 'a terminal token on the rdp route');
    const forged = await signConnectionToken(world.runtime.ctx.keys, { learner: 'rita', stackId: stacks.windows, server: 'default', kind: 'vnc', readOnly: false }, 60);
    await assert.rejects(openSocket(url('windows', 'rdp'), [PROTOCOL, TOKEN_PROTOCOL_PREFIX + forged]), { status: 403 }, 'a token of another kind');
    await assert.rejects(openSocket(url('windows', 'rdp'), [PROTOCOL]), { status: 401 }, 'no token');
  });
});
