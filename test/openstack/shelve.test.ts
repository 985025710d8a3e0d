/**
 * Tiered dormancy on real Nova (the fake hypervisor driver: every API call, state and scheduling decision
 * is Nova's own; no guest boots): the single-server sample lab, launched through stacklab's runtime,
 * is suspended, shelved by the sweep once unused for its shelve time, and woken by the learner coming
 * back. It must come back as the same server: same id, ports and fixed IPs, floating IP and key pair.
 *
 * Two clouds' worth of policy: the demo user (a member, as an operator would configure stacklab) asks
 * for offloading and is refused by Nova's default policy, so its servers stay SHELVED; the admin user
 * may offload, so its servers end SHELVED_OFFLOADED (the hypervisor place freed) and are scheduled again
 * on unshelve. The test cloud keeps shelved servers on the host (shelved_offload_time = -1,
 * scripts/setup-openstack.sh), which is what makes the two cases differ.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Lab } from '../../src/domain/lab.ts';
import type { Stack } from '../../src/domain/stack.ts';
import { pricesSchema } from '../../src/domain/prices.ts';
import { loadLab } from '../../src/labs/load-labs.ts';
import { createOpenStackProvider, type OpenStackProvider } from '../../src/providers/openstack/provider.ts';
import type { StackRef } from '../../src/providers/provider.ts';
import { CostReports } from '../../src/services/cost-report.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { adminOptions, demoOptions } from './heat-env.ts';
import { NOVA_MISSING, ensureNova } from './nova-env.ts';
import { serverIds, waitServers } from './nova-servers.ts';
import { deleteAndWait } from './wait-stack.ts';

const env = await ensureNova();
const LAB_DIR = new URL('../../labs/single-server/', import.meta.url).pathname;
const SHELVE_AFTER = 3600;
/** How long the learner stays away once the lab is shelved (on the test's clock). */
const SHELVED_FOR = 2 * 3600;
/** The sample lab's default flavor, priced so each state's share of the cost can be told apart. */
const RATES = { running: 1, suspended: 0.5, shelved: 0.1 };

/** What makes a server the same one: what Nova and Neutron say about it. */
interface Identity {
  id: string;
  keyName: string;
  ports: Array<{ id: string; fixedIps: string[]; mac: string }>;
}

async function identityOf(os: OpenStackProvider, id: string): Promise<Identity & { status: string; taskState: string | null }> {
  const res = await os.session.request('compute', { method: 'GET', path: `/servers/${id}`, what: 'nova: show server' });
  assert.equal(res.status, 200, `nova: show server ${id}`);
  const server = (res.body as { server: { id: string; key_name: string; status: string; 'OS-EXT-STS:task_state'?: string | null } }).server;
  const ports = await os.session.request('network', { method: 'GET', path: `/v2.0/ports?device_id=${encodeURIComponent(id)}`, what: 'neutron: ports of server' });
  assert.equal(ports.status, 200, 'neutron: list ports');
  const list = (ports.body as { ports: Array<{ id: string; mac_address: string; fixed_ips: Array<{ ip_address: string }> }> }).ports;
  return {
    id: server.id,
    keyName: server.key_name,
    status: server.status,
    taskState: server['OS-EXT-STS:task_state'] ?? null,
    ports: list.map((p) => ({ id: p.id, mac: p.mac_address, fixedIps: p.fixed_ips.map((ip) => ip.ip_address).sort() })).sort((a, b) => a.id.localeCompare(b.id)),
  };
}

/** The hypervisor a server is on (admins only see it; null when offloaded). */
async function hostOf(os: OpenStackProvider, id: string): Promise<string | null> {
  const res = await os.session.request('compute', { method: 'GET', path: `/servers/${id}`, what: 'nova: show server (admin)' });
  return (res.body as { server: { 'OS-EXT-SRV-ATTR:host'?: string | null } }).server['OS-EXT-SRV-ATTR:host'] ?? null;
}

const CASES = [
  { name: 'a member asking to offload (refused by policy): servers stay SHELVED', user: 'demo', shelvedStatus: 'SHELVED' },
  { name: 'an admin offloading: servers end SHELVED_OFFLOADED, their hypervisor place freed', user: 'admin', shelvedStatus: 'SHELVED_OFFLOADED' },
] as const;

for (const c of CASES) {
  describe(`suspend, shelve, wake on real Nova: ${c.name}`, { skip: skipUnless(env !== null, NOVA_MISSING), concurrency: false }, () => {
    let rt: TestRuntime;
    let os: OpenStackProvider;
    let lab: Lab;
    let ready: Stack;
    let ref: StackRef;
    let ids: Map<string, string>;
    const before_: Identity[] = [];
    const timings: Record<string, number> = {};
    const provider = `os-${c.user}`;

    before(async () => {
      const dormancy = { can_shelve: true, bills_suspended: true, shelve_offload: true, shelve_after: SHELVE_AFTER, unshelve_estimate_seconds: 60 };
      os = createOpenStackProvider(provider, c.user === 'demo' ? demoOptions(env!, { request_timeout_seconds: 60, ...dormancy }) : adminOptions(env!, dormancy));
      lab = loadLab(LAB_DIR, { defaultProviders: [provider] });
      rt = await testRuntime({ providers: [os], labs: [lab], overrides: { poll_interval: 0.5 } });
      rt.worker.start();
      const t0 = Date.now();
      const launched = await rt.ctx.stacks.launch({ learner: `shelve-${c.user}`, context: 'course-v1:Org+Shelve+2026', lab: lab.id, actor: 'test' });
      ready = await rt.ctx.stacks.waitForState(launched.id, ['READY'], 200_000, 500);
      console.error(`# ${c.user}: READY in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      ref = { id: ready.providerStackId!, name: ready.providerStackName };
      ids = await serverIds(os, ref);
      for (const id of ids.values()) {
        const { status: _status, taskState: _task, ...identity } = await identityOf(os, id);
        before_.push(identity);
      }
    });

    after(async () => {
      await rt?.close();
      if (ref) await deleteAndWait(os, ref, 110_000);
    });

    test('the launched lab has a server with a port, a fixed IP and the stack\'s key pair', () => {
      assert.equal(ids.size, 1, 'single-server has one server');
      assert.equal(before_[0]!.keyName, ref.name, "the server's key pair is the stack's");
      assert.ok(before_[0]!.ports.length >= 1 && before_[0]!.ports[0]!.fixedIps.length >= 1, 'a port with a fixed IP');
    });

    test('suspended by stacklab: Heat suspends the servers, and the shelve deadline is the provider\'s shelve time after last activity', async () => {
      const t0 = Date.now();
      await rt.ctx.stacks.requestSuspend(ready.id, 'test');
      const suspended = await rt.ctx.stacks.waitForState(ready.id, ['SUSPENDED'], 100_000, 500);
      timings.suspend = Date.now() - t0;
      await waitServers(os, ref, ids, 'SUSPENDED');
      assert.equal(suspended.shelveAfter, SHELVE_AFTER);
      assert.equal(suspended.shelveAt?.getTime(), suspended.lastActivityAt.getTime() + SHELVE_AFTER * 1000);
    });

    test(`shelved by the sweep once unused for its shelve time: Nova's servers are ${c.shelvedStatus}, Heat's stack stays suspended`, async () => {
      await rt.scheduler.run('suspender');
      assert.equal((await rt.ctx.stacks.get(ready.id)).state, 'SUSPENDED', 'not before its shelve time');
      const stack = await rt.ctx.stacks.get(ready.id);
      rt.clock.set(new Date(stack.shelveAt!.getTime() + 1000));
      const t0 = Date.now();
      await rt.scheduler.run('suspender');
      assert.match((await rt.ctx.stacks.get(ready.id)).state, /^SHELV/, 'the sweep asked for the shelve');
      const shelved = await rt.ctx.stacks.waitForState(ready.id, ['SHELVED'], 100_000, 500);
      timings.shelve = Date.now() - t0;
      assert.equal(shelved.shelveAt, null);
      const servers = await waitServers(os, ref, ids, c.shelvedStatus, 30_000);
      assert.equal(servers.length, 1);
      const heat = await os.get(ref);
      assert.equal(`${heat?.action}_${heat?.status}`, 'SUSPEND_COMPLETE', 'Heat knows nothing of shelving');
      if (c.user === 'admin') assert.equal(await hostOf(os, [...ids.values()][0]!), null, 'offloaded: the server holds no hypervisor');
    });

    test('woken by the learner coming back: unshelved, then resumed by Heat, to READY, the same server', async () => {
      rt.clock.advance(SHELVED_FOR);
      const t0 = Date.now();
      const back = await rt.ctx.stacks.launch({ learner: `shelve-${c.user}`, context: 'course-v1:Org+Shelve+2026', lab: lab.id, actor: 'test' });
      assert.equal(back.state, 'UNSHELVE_PENDING');
      const woken = await rt.ctx.stacks.waitForState(ready.id, ['READY'], 110_000, 500);
      timings.wake = Date.now() - t0;
      await waitServers(os, ref, ids, 'ACTIVE', 30_000);
      const heat = await os.get(ref);
      assert.equal(`${heat?.action}_${heat?.status}`, 'RESUME_COMPLETE');
      assert.equal(woken.publicIp, ready.publicIp, 'the same floating IP');
      if (c.user === 'admin') assert.ok(await hostOf(os, [...ids.values()][0]!), 'scheduled onto a hypervisor again');
      const after_ = [];
      for (const id of (await serverIds(os, ref)).values()) {
        const { status: _status, taskState: _task, ...identity } = await identityOf(os, id);
        after_.push(identity);
      }
      assert.deepEqual(after_, before_, 'the same server: id, key pair, ports, MACs and fixed IPs');
      console.error(
        `# ${c.user} (fake driver): suspend ${(timings.suspend! / 1000).toFixed(1)} s, shelve to ${c.shelvedStatus} ${(timings.shelve! / 1000).toFixed(1)} s, ` +
          `wake (unshelve + Heat resume) ${(timings.wake! / 1000).toFixed(1)} s`,
      );
    });

    test("the cost report bills the shelved hours at the provider's shelved rate", async () => {
      const prices = pricesSchema.parse({ [provider]: { per: 'server-hour', currency: 'EUR', flavors: { 'm1.small': RATES } } });
      const report = await new CostReports({ db: rt.ctx.db, labs: rt.ctx.labs, prices }).report({ context: 'course-v1:Org+Shelve+2026' }, rt.clock.now());
      const { billedHours, cost } = report.total;
      assert.deepEqual(report.priceProblems, []);
      // On the test's clock the lab ran for no time, waited suspended for its shelve time and was shelved while the learner was away.
      assert.ok(Math.abs(billedHours.shelved - SHELVED_FOR / 3600) < 0.01, `shelved hours: ${JSON.stringify(billedHours)}`);
      assert.ok(Math.abs(billedHours.suspended - SHELVE_AFTER / 3600) < 0.01, `suspended hours: ${JSON.stringify(billedHours)}`);
      const expected = billedHours.running * RATES.running + billedHours.suspended * RATES.suspended + billedHours.shelved * RATES.shelved;
      assert.ok(cost !== null && Math.abs(cost - expected) < 0.01, `cost ${cost}, at the rates ${expected}`);
    });

    test('the history shows every tier, in order', async () => {
      const steps = (await rt.ctx.stacks.events(ready.id)).map((e) => `${e.fromState ?? '-'} -> ${e.toState}`);
      assert.deepEqual(steps, [
        '- -> LAUNCH_PENDING',
        'LAUNCH_PENDING -> CREATING',
        'CREATING -> READY',
        'READY -> SUSPEND_PENDING',
        'SUSPEND_PENDING -> SUSPENDING',
        'SUSPENDING -> SUSPENDED',
        'SUSPENDED -> SHELVE_PENDING',
        'SHELVE_PENDING -> SHELVING',
        'SHELVING -> SHELVED',
        'SHELVED -> UNSHELVE_PENDING',
        'UNSHELVE_PENDING -> UNSHELVING',
        'UNSHELVING -> READY',
      ]);
      const events = await rt.ctx.stacks.events(ready.id);
      assert.match(events.at(-1)!.reason, /woken from shelved/);
    });
  });
}
