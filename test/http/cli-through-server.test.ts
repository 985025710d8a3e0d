/**
 * `stacklab stacks ...` on a running deployment acts through the server's API (issue 13: a CLI delete on
 * the embedded store was lost because the CLI opened a second engine on the server's folder). A real
 * `serve` on the embedded store, real CLI processes.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { readServerFile } from '../../src/cli/server-file.ts';
import { storeLockHolder } from '../../src/db/store-lock.ts';
import { eventually } from '../support/eventually.ts';

const REPO = resolve(import.meta.dirname, '../..');
const BIN = join(REPO, 'bin/stacklab.js');
const data = mkdtempSync(join(tmpdir(), 'cli-server-'));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  STACKLAB_DATA_DIR: data,
  STACKLAB_LABS_DIR: join(REPO, 'labs'),
  STACKLAB_PROVIDERS: JSON.stringify([{ name: 'fake', kind: 'fake', state_dir: join(data, 'fake'), delay_ms: 20 }]),
  STACKLAB_LOG_LEVEL: 'warn',
  STACKLAB_LOG_FORMAT: 'json',
  STACKLAB_POLL_INTERVAL: '0.1',
  DATABASE_URL: '',
  PORT: '0',
  STACKLAB_URL: '',
  STACKLAB_API_TOKEN: '',
};
delete env.STACKLAB_URL;
delete env.STACKLAB_API_TOKEN;
let server: ChildProcess | null = null;

after(async () => {
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
  rmSync(data, { recursive: true, force: true });
});

const exited = (child: ChildProcess) => new Promise<void>((done) => (child.exitCode !== null || child.signalCode !== null ? done() : child.once('exit', () => done())));


/** A `serve` on the embedded store; resolves with its URL once it is listening and has said where. */
async function startServer(): Promise<string> {
  const child = spawn(process.execPath, [BIN, 'serve'], { cwd: REPO, env, stdio: ['ignore', 'ignore', 'inherit'] });
  server = child;
  let gone: Error | null = null;
  child.once('exit', (code, signal) => (gone = new Error(`serve exited (${code ?? signal}) before listening`)));
  return eventually(
    () => {
      if (gone) throw gone;
      const file = readServerFile(data);
      return file && file.pid === child.pid ? file.url : undefined;
    },
    90_000,
    'the server to listen',
  );
}

async function stopServer(signal: NodeJS.Signals): Promise<void> {
  server!.kill(signal);
  await exited(server!);
}

async function stacklab(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { cwd: REPO, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as AddressInfo;
  await new Promise((done) => probe.close(done));
  return port;
}

const token = () => readFileSync(join(data, 'api-token'), 'utf8').trim();
async function api<T>(url: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token()}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${await response.clone().text()}`);
  return (await response.json()) as T;
}
type Stack = { id: string; state: string };
const stateOf = async (url: string, id: string) => (await api<Stack>(url, 'GET', `/stacks/${id}`)).state;

let url = '';
let stackId = '';
before(async () => {
  url = await startServer();
  const stack = await api<Stack>(url, 'POST', '/stacks', { learner: 'ada', context: 'course-1', lab: 'single-server' });
  stackId = stack.id;
  await eventually(async () => ((await stateOf(url, stackId)) === 'READY' ? true : undefined), 90_000, 'the stack to be READY');
});

test('with a server on the embedded store, the CLI acts through it: a delete is seen at once and survives a restart', async () => {
  assert.equal(statSync(join(data, 'server.json')).mode & 0o777, 0o600, 'server.json is owner-only');
  const list = await stacklab('stacks', 'list', '--json');
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual((JSON.parse(list.stdout) as Stack[]).map((s) => [s.id, s.state]), [[stackId, 'READY']]);

  const reset = await stacklab('stacks', 'reset', stackId, '--yes', '-f', 'json');
  assert.equal(reset.code, 0, reset.stderr);
  assert.equal((JSON.parse(reset.stdout) as Stack).state, 'DELETE_PENDING', 'the reset went through the API');
  await eventually(async () => ((await stateOf(url, stackId)) === 'READY' ? true : undefined), 90_000, 'the reset stack to be READY again');

  const suspend = await stacklab('stacks', 'suspend', stackId, '--json');
  assert.equal(suspend.code, 0, suspend.stderr);
  assert.equal((JSON.parse(suspend.stdout) as Stack).state, 'SUSPEND_PENDING');
  await eventually(async () => ((await stateOf(url, stackId)) === 'SUSPENDED' ? true : undefined), 90_000, 'the stack to be SUSPENDED');

  const deleted = await stacklab('stacks', 'delete', stackId);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.match(deleted.stdout, /DELETE_PENDING/);
  assert.notEqual(await stateOf(url, stackId), 'SUSPENDED', 'the API sees the delete at once');

  await stopServer('SIGTERM');
  url = await startServer();
  assert.match(await stateOf(url, stackId), /^DELETE_PENDING|DELETING|DELETED$/, 'the delete survived the restart');
  const show = await stacklab('stacks', 'show', stackId, '--json');
  assert.equal(show.code, 0, show.stderr);
  const events = (JSON.parse(show.stdout) as { events: Array<{ toState: string; actor: string }> }).events;
  assert.ok(events.some((e) => e.toState === 'DELETE_PENDING' && e.actor === 'api:cli'), JSON.stringify(events));

  const lti = await stacklab('lti', 'platforms', 'list');
  assert.equal(lti.code, 1);
  assert.match(lti.stderr, new RegExp(`held by \`stacklab serve\` \\(pid ${server!.pid}, started .*--url/STACKLAB_URL`));

  const wrongToken = await stacklab('stacks', 'list', '--url', url, '--token', 'not-the-token-0123456789');
  assert.equal(wrongToken.code, 1);
  assert.match(wrongToken.stderr, /Authentication is required.*The server refused the token: pass its token with --token or STACKLAB_API_TOKEN/);
});

test('with the server down (stopped, or killed and its lock left behind), the same commands open the store directly', async () => {
  await stopServer('SIGKILL');
  assert.equal(storeLockHolder(join(data, 'pglite')), null);
  const list = await stacklab('stacks', 'list', '--json');
  assert.equal(list.code, 0, list.stderr);
  const [stack] = JSON.parse(list.stdout) as Stack[];
  assert.equal(stack?.id, stackId);
  assert.match(stack!.state, /^DELETE_PENDING|DELETING|DELETED$/);
  const show = await stacklab('stacks', 'show', 'no-such-stack');
  assert.equal(show.code, 1);
  assert.match(show.stderr, /no stack with this id/);

  const nobody = await freePort();
  const unreachable = await stacklab('stacks', 'list', '--url', `http://127.0.0.1:${nobody}`);
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, new RegExp(`cannot reach the stacklab server at http://127\\.0\\.0\\.1:${nobody}: ECONNREFUSED; start it, or check --url/STACKLAB_URL`));
});
