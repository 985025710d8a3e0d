/**
 * Every sample lab (labs/*) on OpenStack with real Nova, Neutron and Glance (Nova's fake hypervisor
 * driver: the servers are real API objects that never boot), through stacklab's own runtime: the
 * same template as on the local runtime, launched to READY with its outputs, then suspended,
 * resumed and deleted, each step checked on Nova too. Reaching a server (SSH, checks, the desktop)
 * needs a booted guest, so that stays with the local runtime's tests.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import ssh2 from 'ssh2';
import { loadLab } from '../../src/labs/load-labs.ts';
import type { Lab } from '../../src/domain/lab.ts';
import type { Stack } from '../../src/domain/stack.ts';
import { createOpenStackProvider, type OpenStackProvider } from '../../src/providers/openstack/provider.ts';
import type { StackRef } from '../../src/providers/provider.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { demoOptions } from './heat-env.ts';
import { NOVA_MISSING, ensureNova } from './nova-env.ts';
import { novaServers, serverIds, waitServers } from './nova-servers.ts';
import { deleteAndWait } from './wait-stack.ts';

const env = await ensureNova();
const LABS_DIR = new URL('../../labs/', import.meta.url).pathname;
const LAB_IDS = readdirSync(LABS_DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
/** Servers each lab's template makes; a lab added without an entry here fails the test that names it. */
const EXPECTED_SERVERS: Record<string, number> = { 'checks-demo': 1, desktop: 1, 'single-server': 1, 'ten-servers': 10 };
const PROVIDER = 'openstack';

describe('every sample lab on OpenStack (Heat + Nova + Neutron + Glance)', { skip: skipUnless(env !== null, NOVA_MISSING), concurrency: false }, () => {
  let rt: TestRuntime;
  let os: OpenStackProvider;
  const labs: Lab[] = [];
  const made: string[] = [];

  before(async () => {
    os = createOpenStackProvider(PROVIDER, demoOptions(env!, { request_timeout_seconds: 60 }));
    for (const id of LAB_IDS) labs.push(loadLab(join(LABS_DIR, id), { defaultProviders: [PROVIDER] }));
    rt = await testRuntime({ providers: [os], labs, overrides: { poll_interval: 0.5 } });
    rt.worker.start();
  });

  after(async () => {
    await rt?.close();
    for (const name of made) await deleteAndWait(os, { id: '', name }, 120_000);
  });

  for (const id of LAB_IDS) {
    // One suite per lab: its launch is the suite's set-up (a hook may take twice a test's two minutes,
    // and ten servers through Heat and Nova on a busy machine take about that), and each step after it
    // is a test of its own that needs only the launched stack.
    describe(id, () => {
      let ready: Stack;
      let ref: StackRef;
      let ids: Map<string, string>;
      let privateKey: string | undefined;
      const expected = EXPECTED_SERVERS[id];

      before(async () => {
        assert.ok(expected, `add ${id} to EXPECTED_SERVERS`);
        const t0 = Date.now();
        const launched = await rt.ctx.stacks.launch({ learner: `learner-${id}`, context: 'course-v1:Org+OS+2026', lab: id, actor: 'test' });
        made.push(launched.providerStackName);
        // Heat polls Nova for every server, and a loaded CI machine makes that slow: all but the last
        // 10 s of a hook's 240 s (test/support/node-test-timeouts.mjs).
        ready = await rt.ctx.stacks.waitForState(launched.id, ['READY'], 230_000, 500);
        console.error(`# ${id}: READY in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        ref = { id: ready.providerStackId!, name: ready.providerStackName };
        ids = await serverIds(os, ref);
        privateKey = (await rt.ctx.stacks.secrets(ready.id)).privateKey;
      });

      test('launched from its own template to READY, with its outputs, its servers ACTIVE and the platform\'s key pair', async () => {
        const lab = labs.find((l) => l.id === id)!;
        assert.equal(lab.providers[0]?.template, lab.template, 'the lab runs its own template on OpenStack, as on the local runtime');
        assert.match(String(ready.publicIp), /^\d+\.\d+\.\d+\.\d+$/, 'public_ip is a floating IP from Neutron');
        // The key pair: the platform brought the public key (Zed's Nova no longer makes one) and keeps the private one.
        assert.match(privateKey ?? '', /BEGIN OPENSSH PRIVATE KEY/, 'the platform kept its own private key as the login key');
        const parsed = ssh2.utils.parseKey(privateKey!);
        assert.ok(!(parsed instanceof Error), 'the private key parses');
        const pub = (Array.isArray(parsed) ? parsed[0] : parsed).getPublicSSH().toString('base64');
        const keyRes = await os.session.request('compute', { method: 'GET', path: `/os-keypairs/${encodeURIComponent(ref.name)}`, what: 'nova: show keypair' });
        assert.equal(keyRes.status, 200, `Nova has the stack's key pair ${ref.name}`);
        assert.equal(String((keyRes.body as { keypair: { public_key: string } }).keypair.public_key).split(' ')[1], pub, "Nova's key pair is the platform's public key");
        assert.equal(ids.size, expected, `${id} has ${expected} server(s) on Nova`);
        await waitServers(os, ref, ids, 'ACTIVE');
        const outputs = (await os.get(ref))!.outputs;
        assert.equal(outputs.public_ip, ready.publicIp);
        assert.equal(outputs.private_key, '', 'Heat holds no private key: the key pair was made from the public key');
      });

      test('suspends and resumes, and Nova\'s servers follow; the login key survives', async () => {
        await rt.ctx.stacks.requestSuspend(ready.id, 'test');
        await rt.ctx.stacks.waitForState(ready.id, ['SUSPENDED'], 110_000, 500);
        await waitServers(os, ref, ids, 'SUSPENDED');
        await rt.ctx.stacks.requestResume(ready.id, 'test');
        await rt.ctx.stacks.waitForState(ready.id, ['READY'], 110_000, 500);
        await waitServers(os, ref, ids, 'ACTIVE');
        assert.equal((await rt.ctx.stacks.secrets(ready.id)).privateKey, privateKey, 'the login key survives suspend and resume');
      });

      test('deletes, and its servers and key pair go with it', async () => {
        await rt.ctx.stacks.requestDelete(ready.id, 'test');
        await rt.ctx.stacks.waitForState(ready.id, ['DELETED'], 110_000, 500);
        const gone = await novaServers(os, ref, ids);
        assert.deepEqual(gone.filter((s) => s.status !== 'GONE' && s.status !== 'DELETED'), [], 'Nova deleted every server');
        const keyAfter = await os.session.request('compute', { method: 'GET', path: `/os-keypairs/${encodeURIComponent(ref.name)}`, what: 'nova: show keypair' });
        assert.equal(keyAfter.status, 404, 'the key pair went with the stack');
      });
    });
  }
});
