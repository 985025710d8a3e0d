import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const pgUp = await postgresAvailable();

function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = fork(new URL('./worker-process.ts', import.meta.url).pathname, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, ...env }, stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
}

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('several worker processes on one PostgreSQL', { skip: skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432'), concurrency: false }, () => {
  let rt: TestRuntime;
  let stateDir: string;
  const children: ChildProcess[] = [];
  before(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'stacklab-fake-'));
    rt = await testRuntime({ backend: 'postgres', providers: [new FakeProvider('fake', { state_dir: stateDir })], labs: [testLab()] });
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await rt?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  test('three workers never act twice on a stack', async () => {
    const N = 45;
    for (let i = 0; i < N; i++) await rt.ctx.stacks.launch({ learner: `l${i}`, context: 'c', lab: 'demo', actor: 'test' });
    const env = { WORKER_DB_URL: rt.url!, WORKER_STATE_DIR: stateDir, WORKER_DELAY_MS: '100' };
    children.push(...(await Promise.all(['w1', 'w2', 'w3'].map((id) => startWorker({ ...env, WORKER_ID: id })))));
    await until('all stacks READY', async () => (await rt.ctx.stacks.list({ state: ['READY'], limit: 1000 })).length === N);
    for (const s of await rt.ctx.stacks.list({ limit: 1000 })) await rt.ctx.stacks.requestSuspend(s.id, 'test');
    await until('all stacks SUSPENDED', async () => (await rt.ctx.stacks.list({ state: ['SUSPENDED'], limit: 1000 })).length === N);
    const calls = new FakeProvider('fake', { state_dir: stateDir }).allCalls();
    const per = new Map<string, string[]>();
    for (const c of calls) per.set(c.name, [...(per.get(c.name) ?? []), c.op]);
    assert.equal(per.size, N);
    for (const [name, ops] of per) assert.deepEqual(ops, ['create', 'suspend'], `${name} was acted on more than once: ${ops.join(',')}`);
    const pids = new Set(calls.map((c) => c.pid));
    assert.ok(pids.size >= 2, `only ${pids.size} worker did the work; the test proves nothing about sharing`);
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });

  test('a worker killed with SIGKILL mid-operation leaves work that another picks up', async () => {
    const env = { WORKER_DB_URL: rt.url!, WORKER_STATE_DIR: stateDir, WORKER_DELAY_MS: '4000', WORKER_LEASE: '2' };
    const victim = await startWorker({ ...env, WORKER_ID: 'victim' });
    children.push(victim);
    const stack = await rt.ctx.stacks.launch({ learner: 'crash', context: 'c', lab: 'demo', actor: 'test' });
    await until('the victim claimed the stack', async () => (await rt.ctx.stacks.get(stack.id)).leaseOwner === 'victim');
    await until('the create reached the provider', async () => new FakeProvider('fake', { state_dir: stateDir }).allCalls().some((c) => c.name === stack.providerStackName));
    victim.kill('SIGKILL');
    assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'CREATING');
    children.push(await startWorker({ ...env, WORKER_ID: 'rescuer' }));
    await until('the rescuer finished the launch', async () => (await rt.ctx.stacks.get(stack.id)).state === 'READY', 30_000);
    const events = await rt.ctx.stacks.events(stack.id);
    assert.ok(events.some((e) => e.reason.includes('taken over') && e.actor === 'worker:rescuer'), JSON.stringify(events));
    const fakeView = await new FakeProvider('fake', { state_dir: stateDir }).list();
    assert.equal(fakeView.filter((s) => s.name === stack.providerStackName).length, 1, 'the takeover built a second stack');
  });
});
