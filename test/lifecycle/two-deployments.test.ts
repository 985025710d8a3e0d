/**
 * Two deployments (two stores) on one provider, as staging and production in one OpenStack project:
 * each reconciler hunts zombies among its own stacks only. The provider is the folder-backed fake
 * both runtimes share; test/lxc/two-deployments.test.ts and test/openstack/two-deployments.test.ts
 * show the same on real containers and a real Heat.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { mapCatalog } from '../../src/domain/lab-catalog.ts';
import { createRuntime } from '../../src/app/create-context.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { deploymentPrefix } from '../../src/providers/stack-names.ts';
import { reconciler } from '../../src/services/sweeps.ts';
import { Keys } from '../../src/infra/keys.ts';
import { BACKENDS, freshDatabase, postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const pgUp = await postgresAvailable();
const T = 'heat_template_version: 2016-10-14\nresources: {}\n';
const HOUR = 3600;

for (const backend of BACKENDS) {
  describe(`two deployments on one provider (${backend})`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432') : false, concurrency: false }, () => {
    let folder: string;
    let a: TestRuntime;
    let b: TestRuntime;
    let aView: FakeProvider;
    let bView: FakeProvider;
    const launch = (rt: TestRuntime, learner: string) => rt.ctx.stacks.launch({ learner, context: 'course', lab: 'demo', actor: 'test' });
    const deletesBy = (view: FakeProvider, names: string[]) => view.allCalls().filter((c) => c.op === 'delete' && names.includes(c.name));

    before(async () => {
      folder = mkdtempSync(join(tmpdir(), 'stacklab-two-deployments-'));
      // One provider, seen by each deployment through its own handle (as two servers each talk to the same Heat).
      aView = new FakeProvider('fake', { state_dir: folder });
      bView = new FakeProvider('fake', { state_dir: folder });
      a = await testRuntime({ backend, providers: [aView], labs: [testLab()] });
      b = await testRuntime({ backend, providers: [bView], labs: [testLab()] });
    });
    after(async () => {
      await a?.close();
      await b?.close();
      rmSync(folder, { recursive: true, force: true });
    });

    test('each store has its own deployment, and every stack it launches carries it in name and tag', async () => {
      assert.notEqual(a.ctx.deployment, b.ctx.deployment);
      const stack = await launch(a, 'alice');
      await settle(a);
      assert.ok(stack.providerStackName.startsWith(deploymentPrefix(a.ctx.deployment)), stack.providerStackName);
      const listed = (await aView.list()).find((s) => s.name === stack.providerStackName);
      assert.equal(listed?.deployment, a.ctx.deployment);
    });

    test("B's reconciler leaves A's stacks alone, young or old, while it still deletes its own zombies", async () => {
      await launch(a, 'bob');
      await settle(a);
      const aStacks = await a.ctx.stacks.list({ state: ['READY'], limit: 100 });
      assert.equal(aStacks.length, 2);
      const aNames = aStacks.map((s) => s.providerStackName);
      // B's own zombie: a stack of B's that B's store does not hold, which B must delete (so the sweep is really hunting).
      const bZombie = `${deploymentPrefix(b.ctx.deployment)}zombie-1`;
      await bView.create({ name: bZombie, deployment: b.ctx.deployment, template: T, parameters: {}, timeoutSeconds: 60 });
      for (const offset of [0, 2 * HOUR, 30 * 24 * HOUR]) {
        b.clock.set(new Date(Date.now() + offset * 1000));
        const stats = await b.scheduler.run('reconciler');
        assert.deepEqual(stats.errors, []);
      }
      assert.deepEqual(deletesBy(bView, aNames), [], "B deleted A's stacks");
      const left = await bView.list();
      for (const name of aNames) assert.ok(left.some((s) => s.name === name && s.action === 'CREATE' && s.status === 'COMPLETE'), `${name} is gone`);
      assert.ok(deletesBy(bView, [bZombie]).length === 1, "B's reconciler did not delete its own zombie, so this test proves nothing");
      for (const s of aStacks) assert.equal((await a.ctx.stacks.get(s.id)).state, 'READY');
    });

    test("B's deletes and relaunches touch only B's stacks; A's reconciler then finds nothing of B's to delete", async () => {
      const mine = await launch(b, 'carol');
      await settle(b);
      await b.ctx.stacks.requestDelete(mine.id, 'test');
      await settle(b);
      const again = await launch(b, 'carol');
      await settle(b);
      assert.notEqual((await b.ctx.stacks.get(again.id)).providerStackName, mine.providerStackName);
      a.clock.set(new Date(Date.now() + 30 * 24 * HOUR * 1000));
      assert.deepEqual((await a.scheduler.run('reconciler')).errors, []);
      const bNames = (await b.ctx.stacks.list({ limit: 100 })).map((s) => s.providerStackName);
      assert.deepEqual(deletesBy(aView, bNames), [], "A deleted B's stacks");
      assert.equal((await b.ctx.stacks.get(again.id)).state, 'READY');
    });

    test('a stack named before deployments existed: managed by the store that holds it, left alone (and logged once) by the other', async () => {
      // An upgraded deployment's row keeps the name it had; its stack carries no deployment tag.
      const old = () => Math.random().toString(36).slice(2).padEnd(12, '0').slice(0, 12);
      const legacyName = `stacklab-${old()}-1`;
      const legacy = await aView.create({ name: legacyName, template: T, parameters: {}, timeoutSeconds: 60 });
      const row = await launch(a, 'dave');
      await settle(a);
      const ownName = (await a.ctx.stacks.get(row.id)).providerStackName;
      await a.ctx.db.query('UPDATE stacks SET provider_stack_name = $1, provider_stack_id = $2 WHERE id = $3', [legacyName, legacy.id, row.id]);
      // An orphan of the old naming that no store holds: nobody may take it for a zombie.
      const orphanName = `stacklab-${old()}-3`;
      await aView.create({ name: orphanName, template: T, parameters: {}, timeoutSeconds: 60 });
      await aView.suspend(legacy);

      const lines: string[] = [];
      const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
      const later = new Date(Date.now() + 30 * 24 * HOUR * 1000);
      for (let pass = 0; pass < 3; pass++) {
        const stats = await reconciler({ store: b.store, providers: b.ctx.providers, logger, deployment: b.ctx.deployment }, later, 120);
        assert.deepEqual(stats.errors, []);
      }
      assert.equal(lines.filter((l) => l.includes(orphanName)).length, 1, `the orphan was not logged exactly once: ${lines.join('')}`);
      a.clock.set(later);
      assert.deepEqual((await a.scheduler.run('reconciler')).errors, []);

      assert.deepEqual(deletesBy(bView, [legacyName, orphanName]), [], 'B deleted a stack named before deployments');
      assert.deepEqual(deletesBy(aView, [orphanName]), [], 'A deleted an orphan it cannot know is its own');
      assert.equal((await a.ctx.stacks.get(row.id)).state, 'SUSPENDED', "A's reconciler no longer corrects drift on its old-named stack");
      assert.equal(deletesBy(aView, [ownName]).length, 1, "A's own stack that its store no longer names is a zombie of A's");
    });
  });
}

describe('a store belongs to one deployment', () => {
  test('starting with a different deployment_id than the store recorded is refused, and says what to do', async () => {
    const database = await freshDatabase('pglite');
    const start = (deploymentId: string) =>
      createRuntime({
        config: loadConfig({ env: {}, overrides: { api_token: 'test-token-0123456789abcdef', data_dir: '/tmp/stacklab-test-data', log_level: 'silent', deployment_id: deploymentId } }).config,
        db: database.db,
        providers: [],
        labs: mapCatalog([]),
        keys: Keys.ephemeral(),
        logger: pino({ level: 'silent' }),
      });
    try {
      const first = await start('staging');
      assert.equal(first.ctx.deployment, 'staging');
      await first.close();
      await assert.rejects(start('prod01'), /belongs to deployment 'staging'.*Set deployment_id to 'staging' or unset it/s);
    } finally {
      await database.drop();
    }
  });
});
