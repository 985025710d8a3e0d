/**
 * A shelved lab whose cloud has no room to wake it, on real Nova (the fake hypervisor driver): the
 * learner is told so at once, instead of the wake-up asking Nova again and again until its timeout, and
 * a reset starts the lab fresh on the lab's other provider.
 *
 * "No room" is made the way the scheduler sees a full cloud: the test cloud's only compute host is taken
 * out of scheduling (disabled) while the offloaded server is unshelved, so Nova's scheduler finds no
 * valid host and puts the server back on the shelf. The host is enabled again before anything else runs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Lab } from '../../src/domain/lab.ts';
import type { Stack } from '../../src/domain/stack.ts';
import { stackView } from '../../src/http/routes/learner-view.ts';
import { loadLab } from '../../src/labs/load-labs.ts';
import { createOpenStackProvider, type OpenStackProvider } from '../../src/providers/openstack/provider.ts';
import type { StackRef } from '../../src/providers/provider.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { adminOptions, demoOptions } from './heat-env.ts';
import { NOVA_MISSING, ensureNova } from './nova-env.ts';
import { serverIds, waitServers } from './nova-servers.ts';
import { deleteAndWait } from './wait-stack.ts';

const env = await ensureNova();
const LAB_DIR = new URL('../../labs/single-server/', import.meta.url).pathname;
const SHELVE_AFTER = 3600;
const LEARNER = { learner: 'no-room', context: 'course-v1:Org+NoRoom+2026' };

/** Takes the compute hosts in or out of scheduling (admin API, microversion 2.53: services by id). */
async function setComputeHosts(os: OpenStackProvider, status: 'enabled' | 'disabled'): Promise<void> {
  const headers = { 'OpenStack-API-Version': 'compute 2.53' };
  const list = await os.session.request('compute', { method: 'GET', path: '/os-services?binary=nova-compute', headers, what: 'nova: list compute services' });
  assert.equal(list.status, 200, 'nova: list compute services');
  const services = (list.body as { services: Array<{ id: string; host: string }> }).services;
  assert.ok(services.length >= 1, 'the test cloud has a compute service');
  for (const service of services) {
    const json = status === 'disabled' ? { status, disabled_reason: 'stacklab test: a cloud with no room' } : { status };
    const res = await os.session.request('compute', { method: 'PUT', path: `/os-services/${service.id}`, headers, json, what: `nova: ${status} ${service.host}` });
    assert.equal(res.status, 200, `nova: ${status} compute service on ${service.host}`);
  }
}

describe('a shelved lab on a cloud with no room to wake it (real Nova)', { skip: skipUnless(env !== null, NOVA_MISSING), concurrency: false }, () => {
  let rt: TestRuntime;
  let full: OpenStackProvider;
  let spare: OpenStackProvider;
  let lab: Lab;
  let shelved: Stack;
  let ref: StackRef | null = null;
  let readyId: string;
  let ids: Map<string, string>;
  let freshRef: StackRef | null = null;

  before(async () => {
    // The admin may offload, so the shelved server gives up its host and must be scheduled again to wake.
    const dormancy = { can_shelve: true, bills_suspended: true, shelve_offload: true, shelve_after: SHELVE_AFTER, unshelve_estimate_seconds: 60 };
    full = createOpenStackProvider('os-full', adminOptions(env!, dormancy));
    spare = createOpenStackProvider('os-spare', demoOptions(env!, { request_timeout_seconds: 60 }));
    lab = loadLab(LAB_DIR, { defaultProviders: ['os-full', 'os-spare'] });
    rt = await testRuntime({ providers: [full, spare], labs: [lab], overrides: { poll_interval: 0.5 } });
    rt.worker.start();
    const launched = await rt.ctx.stacks.launch({ ...LEARNER, lab: lab.id, actor: 'test' });
    const ready = await rt.ctx.stacks.waitForState(launched.id, ['READY'], 200_000, 500);
    assert.equal(ready.provider, 'os-full', 'launched on the first provider the lab lists');
    readyId = ready.id;
    ref = { id: ready.providerStackId!, name: ready.providerStackName };
    ids = await serverIds(full, ref);
  });

  after(async () => {
    if (full) await setComputeHosts(full, 'enabled').catch(() => undefined);
    await rt?.close();
    if (ref) await deleteAndWait(full, ref, 110_000).catch(() => undefined);
    if (freshRef) await deleteAndWait(spare, freshRef, 110_000).catch(() => undefined);
  });

  test('suspended, then shelved and offloaded by the sweep', async () => {
    await rt.ctx.stacks.requestSuspend(readyId, 'test');
    const suspended = await rt.ctx.stacks.waitForState(readyId, ['SUSPENDED'], 100_000, 500);
    rt.clock.set(new Date(suspended.shelveAt!.getTime() + 1000));
    await rt.scheduler.run('suspender');
    shelved = await rt.ctx.stacks.waitForState(readyId, ['SHELVED'], 100_000, 500);
    await waitServers(full, ref!, ids, 'SHELVED_OFFLOADED', 30_000);
  });

  test('the learner comes back while no host has room: UNSHELVE_FAILED with PROVIDER_FULL, soon, and the page offers a fresh start', async () => {
    await setComputeHosts(full, 'disabled');
    try {
      const back = await rt.ctx.stacks.launch({ ...LEARNER, lab: lab.id, actor: 'test' });
      assert.equal(back.state, 'UNSHELVE_PENDING');
      // Well inside the wake-up's own timeout: the failure is read from Nova, not waited out.
      const failed = await rt.ctx.stacks.waitForState(shelved.id, ['UNSHELVE_FAILED', 'READY'], 100_000, 500);
      assert.deepEqual([failed.state, failed.errorCode], ['UNSHELVE_FAILED', 'PROVIDER_FULL'], failed.error ?? '');
      assert.match(failed.error ?? '', /no room to wake it.*no host with room for server/);
      const view = stackView(failed, rt.clock.now());
      assert.equal(view.errorCode, 'PROVIDER_FULL');
      assert.match(view.error ?? '', /"Reset" to start a fresh lab now, on another cloud/);
      await waitServers(full, ref!, ids, 'SHELVED_OFFLOADED', 30_000);
    } finally {
      await setComputeHosts(full, 'enabled');
    }
  });

  test("a reset starts it fresh on the lab's other provider, and the full provider's stack is deleted", async () => {
    await rt.ctx.stacks.reset(shelved.id, 'RESET', 'learner:no-room');
    const fresh = await rt.ctx.stacks.waitForState(shelved.id, ['READY', 'LAUNCH_FAILED'], 200_000, 500);
    assert.deepEqual([fresh.state, fresh.provider], ['READY', 'os-spare'], fresh.error ?? '');
    freshRef = { id: fresh.providerStackId!, name: fresh.providerStackName };
    const old = await full.get(ref!);
    assert.ok(old === null || `${old.action}_${old.status}` === 'DELETE_COMPLETE', 'the old stack is deleted on the full provider: nothing left behind');
    ref = null;
    const reasons = (await rt.ctx.stacks.events(shelved.id)).map((e) => e.reason);
    assert.ok(reasons.some((r) => r.includes("starting fresh away from provider 'os-full' (PROVIDER_FULL)")), reasons.join('\n'));
  });
});
