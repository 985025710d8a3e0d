/**
 * Connection tokens: each carries an id and an expiry and opens one WebSocket; a token without them,
 * a second use of the same token, and more sockets to one stack than `sockets_per_stack` are refused
 * before the upgrade. The terminal size a page asks for is bounded. The sockets go through the real
 * server and gateway to a lab "server" that takes the TCP connection and never speaks SSH, so a socket
 * stays open, waiting for the lab, until the test closes it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import ssh2 from 'ssh2';
import type { WebSocket } from 'ws';
import { openSocket } from '../gateway/support/gateway-world.ts';
import { buildApp } from '../../src/http/app.ts';
import { PROTOCOL, TOKEN_PROTOCOL_PREFIX, signConnectionToken, verifyConnectionToken } from '../../src/gateway/connection-token.ts';
import { querySize } from '../../src/gateway/gateway-routes.ts';
import { parseControl } from '../../src/gateway/socket-messages.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import type { ProviderStack, StackRef } from '../../src/providers/provider.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const PRIVATE_KEY = ssh2.utils.generateKeyPairSync('ed25519').private;

/** The fake provider's stacks, with a private key ssh2 can parse, at the silent server's address. */
class SilentLabProvider extends FakeProvider {
  override async get(ref: StackRef): Promise<ProviderStack | null> {
    const stack = await super.get(ref);
    return stack && stack.status === 'COMPLETE' ? { ...stack, outputs: { ...stack.outputs, private_key: PRIVATE_KEY } } : stack;
  }
}

describe('connection tokens', () => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let stackId: string;
  let base: string;
  const open: WebSocket[] = [];
  /** The server's side of every socket, to wait until the gateway saw a close. */
  const serverSide: WebSocket[] = [];

  let silent: Server;
  const held: Socket[] = [];

  before(async () => {
    silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    rt = await testRuntime({ providers: [new SilentLabProvider('fake', { public_ip: '127.0.0.1' })], labs: [testLab({ port })], overrides: { sockets_per_stack: 2 } });
    app = await buildApp(rt.ctx);
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    app.websocketServer.on('connection', (ws: WebSocket) => serverSide.push(ws));
    stackId = (await rt.ctx.stacks.launch({ learner: 'alice', context: 'course', lab: 'demo', actor: 'test' })).id;
    await settle(rt);
  });
  after(async () => {
    for (const ws of open) ws.terminate();
    await app?.close();
    await rt?.close();
    for (const socket of held) socket.destroy();
    silent?.close();
  });

  const token = () => signConnectionToken(rt.ctx.keys, { learner: 'alice', stackId, server: 'default', kind: 'terminal', readOnly: false }, 60);
  /** Opens the desktop socket with the token; resolves with the socket or rejects with the HTTP status. */
  async function connect(jwt: string): Promise<WebSocket> {
    const ws = await openSocket(`${base}/gateway/stacks/${stackId}/terminal`, [PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${jwt}`]);
    open.push(ws);
    return ws;
  }

  test('a token has an id and an expiry', async () => {
    const grant = await verifyConnectionToken(rt.ctx.keys, await token());
    assert.match(grant.tokenId, /^[0-9a-f-]{36}$/);
    assert.ok(grant.expiresAt.getTime() > Date.now() && grant.expiresAt.getTime() <= Date.now() + 61_000);
  });

  test('a token without an expiry or without an id is refused, even signed with the right key', async () => {
    const key = rt.ctx.keys.key('connection-token');
    const claims = { stk: stackId, srv: 'default', knd: 'terminal', ro: false };
    const noExp = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setAudience('stacklab:gateway').setJti('a').sign(key);
    const noJti = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setAudience('stacklab:gateway').setExpirationTime('1m').sign(key);
    await assert.rejects(connect(noExp), { status: 401 });
    await assert.rejects(connect(noJti), { status: 401 });
  });

  test('a watcher\'s token carries its course; an unknown kind or a course that is not text is refused', async () => {
    const keys = rt.ctx.keys;
    const watcher = await verifyConnectionToken(keys, await signConnectionToken(keys, { learner: 'teacher', context: 'course-1', stackId, server: 'desktop', kind: 'desktop-shadow', readOnly: false }, 60));
    assert.equal(watcher.kind, 'desktop-shadow');
    assert.equal(watcher.context, 'course-1');
    assert.equal((await verifyConnectionToken(keys, await token())).context, undefined, 'a learner\'s token names no course');
    const key = keys.key('connection-token');
    const signed = (claims: Record<string, unknown>) =>
      new SignJWT({ stk: stackId, srv: 'default', ro: false, ...claims }).setProtectedHeader({ alg: 'HS256' }).setSubject('teacher').setAudience('stacklab:gateway').setJti(crypto.randomUUID()).setExpirationTime('1m').sign(key);
    await assert.rejects(verifyConnectionToken(keys, await signed({ knd: 'spectate' })), /unknown kind/);
    await assert.rejects(verifyConnectionToken(keys, await signed({ knd: 'desktop-shadow', ctx: ['course-1'] })), /malformed course/);
  });

  test('a token opens one socket: the second use is refused', async () => {
    const jwt = await token();
    const first = await connect(jwt);
    first.terminate();
    await assert.rejects(connect(jwt), { status: 401 });
  });

  /** Closes every socket and waits until the gateway saw each close. */
  async function closeAll(): Promise<void> {
    const closed = Promise.all(serverSide.map((ws) => (ws.readyState === ws.CLOSED ? undefined : new Promise((r) => ws.once('close', r)))));
    for (const ws of open) ws.terminate();
    await closed;
  }

  test('sockets to one stack are limited by sockets_per_stack, and a closed one frees its place', async () => {
    await closeAll();
    const a = await connect(await token());
    const b = await connect(await token());
    assert.equal(a.readyState, a.OPEN);
    assert.equal(b.readyState, b.OPEN);
    await assert.rejects(connect(await token()), { status: 429 });
    await closeAll();
    await connect(await token());
  });

  test('the terminal size from the query and from resize messages is bounded', () => {
    assert.deepEqual(querySize({ cols: '100000000', rows: '99999999' }), { cols: 1000, rows: 500 });
    assert.deepEqual(querySize({ cols: '-5', rows: 'x' }), { cols: 80, rows: 24 });
    assert.deepEqual(querySize({ cols: '1', rows: '0' }), { cols: 2, rows: 24 });
    assert.deepEqual(parseControl(JSON.stringify({ type: 'resize', cols: 1e9, rows: 1e9 })), { type: 'resize', cols: 1000, rows: 500 });
  });
});
