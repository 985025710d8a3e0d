/**
 * stacklab's whole lifecycle through its REST API on the real Keystone + Heat: launch, idle suspend,
 * come back (resume), reaper delete, a failing create's reason, and the reconciler's zombie hunt.
 * The stacks live in a project made for this run; besides, the reconciler only ever deletes stacks
 * of its own deployment (test/openstack/two-deployments.test.ts shows two sharing one project).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.ts';
import { createOpenStackProvider, type OpenStackProvider } from '../../src/providers/openstack/provider.ts';
import { deploymentPrefix } from '../../src/providers/stack-names.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { HEAT_MISSING, demoOptions, ensureHeat, type HeatEnv } from './heat-env.ts';
import { FAILING_TEMPLATE, OK_TEMPLATE } from './templates.ts';
import { deleteAndWait, waitSettled } from './wait-stack.ts';

const env = await ensureHeat();
const TOKEN = 'test-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };
const SUSPEND_AFTER = 120;
const DELETE_AGE = 3600;

interface ApiStack {
  id: string;
  state: string;
  provider: string | null;
  providerStackName: string;
  publicIp: string | null;
  outputs: Record<string, unknown>;
  error: string | null;
}

/** A project and a member user of its own, made with the admin credentials of the openrc. */
async function scratchProject(e: HeatEnv): Promise<{ project: string; user: string; password: string; drop(): Promise<void> }> {
  const ks = e.authUrl.replace(/\/v3\/?$/, '') + '/v3';
  const headers = { 'Content-Type': 'application/json', Connection: 'close' };
  const tokenRes = await fetch(`${ks}/auth/tokens`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: e.vars.OS_USERNAME, domain: { name: 'Default' }, password: e.vars.OS_PASSWORD } } },
        scope: { project: { name: e.vars.OS_PROJECT_NAME ?? 'admin', domain: { name: 'Default' } } },
      },
    }),
  });
  await tokenRes.arrayBuffer();
  if (tokenRes.status !== 201) throw new Error(`keystone: admin token: HTTP ${tokenRes.status}`);
  const admin = { ...headers, 'X-Auth-Token': tokenRes.headers.get('x-subject-token')! };
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${ks}${path}`, { method, headers: admin, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (res.status >= 300 && !(method === 'DELETE' && res.status === 404)) throw new Error(`keystone: ${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
    return text ? (JSON.parse(text) as Record<string, never>) : {};
  };
  const name = `stacklab-test-api-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const project = (await call('POST', '/projects', { project: { name, domain_id: 'default' } })).project as { id: string };
  const user = (await call('POST', '/users', { user: { name, domain_id: 'default', password, default_project_id: project.id } })).user as { id: string };
  const roles = (await call('GET', '/roles?name=member')).roles as Array<{ id: string }>;
  await call('PUT', `/projects/${project.id}/users/${user.id}/roles/${roles[0]!.id}`);
  return {
    project: name,
    user: name,
    password,
    async drop() {
      await call('DELETE', `/users/${user.id}`);
      await call('DELETE', `/projects/${project.id}`);
    },
  };
}

describe('stacklab lifecycle through the REST API on a real Heat', { skip: skipUnless(env !== null, HEAT_MISSING), concurrency: false }, () => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let heat: OpenStackProvider;
  let scratch: Awaited<ReturnType<typeof scratchProject>>;

  const lab = (id: string, template: string) =>
    testLab({
      id,
      template,
      providers: [{ name: 'heat', capacity: -1, template, templateFile: 'template.yaml' }],
      timeouts: { launch: 300, suspend: SUSPEND_AFTER, deleteAge: DELETE_AGE, check: 120, remoteExec: 300 },
    });

  const show = async (id: string): Promise<ApiStack> => {
    const res = await app.inject({ url: `/api/v1/stacks/${id}`, headers: auth });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  };
  const launch = async (learner: string, labId: string): Promise<ApiStack> => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/stacks', headers: auth, payload: { learner, context: 'course-v1:Org+OS+2026', lab: labId } });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  };
  /** Polls the API as a lab page would, until the stack reaches `state`; fails at once on another settled state. */
  const waitFor = async (id: string, state: string, timeoutMs = 90_000): Promise<ApiStack> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const stack = await show(id);
      if (stack.state === state) return stack;
      if (stack.state.endsWith('_FAILED') && !state.endsWith('_FAILED')) assert.fail(`stack went ${stack.state} instead of ${state}: ${stack.error}`);
      if (Date.now() > deadline) assert.fail(`stack still ${stack.state} after ${timeoutMs} ms (waiting for ${state})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  /** Heat's status of a stack by name; GONE once deleted (Heat shows DELETE_COMPLETE for a while, then forgets). */
  const heatStatus = async (name: string): Promise<string> => {
    const s = await heat.get({ id: '', name });
    const status = s ? `${s.action}_${s.status}` : 'GONE';
    if (status !== 'DELETE_COMPLETE' && status !== 'GONE') return status;
    assert.ok(!(await heat.list()).some((l) => l.name === name), `${name} is ${status} but still listed`);
    return 'GONE';
  };

  before(async () => {
    scratch = await scratchProject(env!);
    const options = demoOptions(env!);
    heat = createOpenStackProvider('heat', { ...options, auth: { ...options.auth!, username: scratch.user, password: scratch.password, project_name: scratch.project } });
    rt = await testRuntime({ providers: [heat], labs: [lab('os-ok', OK_TEMPLATE), lab('os-fail', FAILING_TEMPLATE)], overrides: { poll_interval: 0.2 } });
    app = await buildApp(rt.ctx);
    rt.worker.start();
  });

  after(async () => {
    await app?.close();
    await rt?.close();
    if (heat) for (const s of await heat.list().catch(() => [])) await deleteAndWait(heat, s);
    await scratch?.drop().catch((err: unknown) => console.error(`# clean-up of the scratch project failed: ${(err as Error).message}`));
  });

  test('launch -> READY -> idle suspend -> come back -> READY -> reaper -> DELETED, as Heat sees it', async () => {
    const launched = await launch('alice', 'os-ok');
    assert.equal(launched.state, 'LAUNCH_PENDING');
    assert.match(launched.providerStackName, new RegExp(`^stacklab-${rt.ctx.deployment}-[a-z0-9]+-1$`));

    const ready = await waitFor(launched.id, 'READY');
    assert.equal(ready.provider, 'heat');
    assert.equal(ready.publicIp, '203.0.113.7');
    assert.equal(ready.outputs.run, 'course-v1:Org+OS+2026', 'the run parameter reached the template');
    assert.equal(await heatStatus(ready.providerStackName), 'CREATE_COMPLETE');
    const { password } = await rt.ctx.stacks.secrets(ready.id);
    assert.equal(password?.length, 16, "Heat's RandomString became the stack's password");
    for (const url of [`/api/v1/stacks/${ready.id}`, '/api/v1/stacks?lab=os-ok', `/api/v1/stacks/${ready.id}/events`]) {
      const body = (await app.inject({ url, headers: auth })).body;
      assert.ok(!body.includes(password!), `the password reached the API answer of ${url}`);
    }

    // Idle past the suspend timeout: the suspender asks, the worker suspends on Heat.
    rt.clock.advance(SUSPEND_AFTER - 10);
    assert.equal((await rt.scheduler.run('suspender')).acted, 0, 'suspended before its time');
    rt.clock.advance(11);
    assert.equal((await rt.scheduler.run('suspender')).acted, 1);
    await waitFor(ready.id, 'SUSPENDED');
    assert.equal(await heatStatus(ready.providerStackName), 'SUSPEND_COMPLETE');

    // The learner comes back: launching again resumes the same Heat stack.
    const back = await launch('alice', 'os-ok');
    assert.equal(back.id, ready.id);
    assert.equal(back.state, 'RESUME_PENDING');
    await waitFor(ready.id, 'READY');
    assert.equal(await heatStatus(ready.providerStackName), 'RESUME_COMPLETE');
    const kept = await app.inject({ method: 'POST', url: `/api/v1/stacks/${ready.id}/keepalive`, headers: auth });
    assert.equal(kept.json().state, 'READY');
    assert.equal((await rt.ctx.stacks.secrets(ready.id)).password, password, 'the password survives suspend and resume');

    // Abandoned past the delete age: the reaper deletes it from Heat.
    rt.clock.advance(DELETE_AGE - 60);
    assert.equal((await rt.scheduler.run('reaper')).acted, 0, 'reaped before its delete age');
    rt.clock.advance(61);
    assert.equal((await rt.scheduler.run('reaper')).acted, 1);
    const deleted = await waitFor(ready.id, 'DELETED');
    assert.equal(deleted.publicIp, null);
    assert.equal(await heatStatus(ready.providerStackName), 'GONE');

    const events = (await app.inject({ url: `/api/v1/stacks/${ready.id}/events`, headers: auth })).json().events as Array<{ toState: string }>;
    assert.deepEqual(
      events.map((e) => e.toState),
      ['LAUNCH_PENDING', 'CREATING', 'READY', 'SUSPEND_PENDING', 'SUSPENDING', 'SUSPENDED', 'RESUME_PENDING', 'RESUMING', 'READY', 'DELETE_PENDING', 'DELETING', 'DELETED'],
    );
  });

  test("a create that fails on Heat shows Heat's reason in the stack's error, and leaves nothing on Heat", async () => {
    const launched = await launch('bob', 'os-fail');
    const failed = await waitFor(launched.id, 'LAUNCH_FAILED');
    console.error(`# error shown: ${failed.error}`);
    assert.match(failed.error!, /broken/, 'the failing resource is named');
    assert.match(failed.error!, /Test Resource failed/, "Heat's reason is shown");
    // The orchestrator deletes the failed stack so it holds no quota.
    const deadline = Date.now() + 60_000;
    while ((await heatStatus(failed.providerStackName)) !== 'GONE') {
      if (Date.now() > deadline) assert.fail(`the failed stack is still ${await heatStatus(failed.providerStackName)} on Heat`);
      await new Promise((r) => setTimeout(r, 500));
    }
  });

  test("a stack of this deployment on Heat that the store does not know is deleted by the reconciler", async () => {
    const zombie = await heat.create({
      name: `${deploymentPrefix(rt.ctx.deployment)}zombie${Math.random().toString(36).slice(2, 8)}-1`,
      deployment: rt.ctx.deployment,
      template: OK_TEMPLATE,
      parameters: {},
      timeoutSeconds: 120,
    });
    const made = await waitSettled(heat, zombie);
    assert.equal(`${made?.action}_${made?.status}`, 'CREATE_COMPLETE', made?.reason);
    // A just-made stack may be a create whose id is not saved yet: the reconciler leaves it for a grace period.
    const createdAt = (await heat.list()).find((s) => s.id === zombie.id)?.createdAt;
    assert.ok(createdAt, 'list() shows the zombie with its creation time');
    rt.clock.set(new Date(createdAt.getTime() + 30_000));
    assert.equal((await rt.scheduler.run('reconciler')).acted, 0, 'a young stack was taken for a zombie');
    rt.clock.set(new Date(createdAt.getTime() + 3600_000));
    const stats = await rt.scheduler.run('reconciler');
    assert.deepEqual(stats.errors, []);
    assert.ok(stats.acted >= 1, JSON.stringify(stats));
    const gone = await waitSettled(heat, zombie);
    assert.ok(gone === null || `${gone.action}_${gone.status}` === 'DELETE_COMPLETE', `zombie ended ${gone?.action}_${gone?.status}`);
    assert.equal(await heatStatus(zombie.name), 'GONE');
  });
});
