/**
 * A suspended or shelved stack whose provider is full or gone: the learner is not left waiting. The wake-up
 * fails with a code that says so (PROVIDER_FULL, PROVIDER_GONE), the page says what to do, and a reset
 * starts the lab fresh on another of the lab's providers. Through the whole orchestrator (sweeps,
 * worker, store) on fake providers; Nova's own "no room" is in test/openstack/shelve-no-room.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StackStore } from '../../src/db/stack-store.ts';
import { stackView } from '../../src/http/routes/learner-view.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const pgUp = await postgresAvailable();
const T = 'heat_template_version: 2016-10-14\nresources: {}\n';
const on = (...names: string[]) => names.map((name) => ({ name, capacity: -1, template: T, templateFile: 't' }));

for (const backend of BACKENDS) {
  describe(`a stack whose provider is full or gone, on ${backend}`, { concurrency: false, skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL at 127.0.0.1:5432') : false }, () => {
    let rt: TestRuntime;
    let east: FakeProvider;
    let west: FakeProvider;
    before(async () => {
      east = new FakeProvider('east', { can_shelve: true, shelve_after: 3600 });
      west = new FakeProvider('west', { can_shelve: true, shelve_after: 3600 });
      const labs = [testLab({ id: 'two-clouds', providers: on('east', 'west') }), testLab({ id: 'one-cloud', providers: on('east') })];
      rt = await testRuntime({ backend, providers: [east, west], labs });
    });
    after(async () => rt?.close());
    const launch = (learner: string, lab: string) => rt.ctx.stacks.launch({ learner, context: 'course-v1:Org+F+2026', lab, actor: `learner:${learner}` });

    /** Launched, suspended, then shelved by the sweep: the learner has been away for a long time. */
    async function shelvedStack(learner: string, lab: string) {
      const stack = await launch(learner, lab);
      await settle(rt);
      await rt.ctx.stacks.requestSuspend(stack.id, 'test');
      await settle(rt);
      rt.clock.advance(3601);
      await rt.scheduler.run('suspender');
      await settle(rt);
      const shelved = await rt.ctx.stacks.get(stack.id);
      assert.equal(shelved.state, 'SHELVED');
      return shelved;
    }

    test('no room to wake it: UNSHELVE_FAILED with PROVIDER_FULL, then a reset starts it fresh on the other provider', async (t) => {
      const shelved = await shelvedStack('fay', 'two-clouds');
      assert.equal(shelved.provider, 'east');
      east.options.no_room.push('unshelve');
      t.after(() => void east.options.no_room.splice(0));

      await launch('fay', 'two-clouds'); // the learner comes back
      await settle(rt);
      const failed = await rt.ctx.stacks.get(shelved.id);
      assert.deepEqual([failed.state, failed.errorCode], ['UNSHELVE_FAILED', 'PROVIDER_FULL']);
      assert.match(failed.error ?? '', /no room to wake it/);
      const view = stackView(failed, rt.clock.now());
      assert.equal(view.errorCode, 'PROVIDER_FULL');
      assert.match(view.error ?? '', /Reset.*another cloud/, 'the page says what to do instead of waiting');

      const reset = await rt.ctx.stacks.reset(shelved.id, 'RESET', 'learner:fay');
      assert.equal(reset.state, 'DELETE_PENDING');
      await settle(rt);
      const fresh = await rt.ctx.stacks.get(shelved.id);
      assert.deepEqual([fresh.state, fresh.provider], ['READY', 'west'], 'started fresh on the provider with room');
      assert.ok(!(await east.list()).some((s) => s.name === shelved.providerStackName), 'the old stack was deleted on the full provider: nothing is left behind');
      const reasons = (await rt.ctx.stacks.events(shelved.id)).map((e) => e.reason);
      assert.ok(reasons.some((r) => /reset requested: starting fresh away from provider 'east' \(PROVIDER_FULL\)/.test(r)), reasons.join('\n'));
    });

    test('no room, and the lab has no other provider: the reset tries the same provider again', async (t) => {
      const shelved = await shelvedStack('gus', 'one-cloud');
      east.options.no_room.push('unshelve');
      t.after(() => void east.options.no_room.splice(0));
      await launch('gus', 'one-cloud');
      await settle(rt);
      assert.equal((await rt.ctx.stacks.get(shelved.id)).errorCode, 'PROVIDER_FULL');
      east.options.no_room.splice(0); // room again
      await rt.ctx.stacks.reset(shelved.id, 'RESET', 'learner:gus');
      await settle(rt);
      const fresh = await rt.ctx.stacks.get(shelved.id);
      assert.deepEqual([fresh.state, fresh.provider], ['READY', 'east']);
    });

    test('the provider is gone from the configuration: RESUME_FAILED with PROVIDER_GONE; a reset starts fresh elsewhere and names what is left behind', async () => {
      const stack = await launch('hal', 'two-clouds');
      await settle(rt);
      await rt.ctx.stacks.requestSuspend(stack.id, 'test');
      await settle(rt);
      // As after an operator removes the provider 'retired' that held this stack from the configuration.
      const store = new StackStore(rt.ctx.db);
      const suspended = await rt.ctx.stacks.get(stack.id);
      assert.ok(await store.update(stack.id, ['SUSPENDED'], { provider: 'retired' }, rt.clock.now()));

      await launch('hal', 'two-clouds');
      await settle(rt);
      const failed = await rt.ctx.stacks.get(stack.id);
      assert.deepEqual([failed.state, failed.errorCode], ['RESUME_FAILED', 'PROVIDER_GONE']);
      assert.match(failed.error ?? '', /provider 'retired'.*no longer available/);
      assert.match(stackView(failed, rt.clock.now()).error ?? '', /Reset/);

      await rt.ctx.stacks.reset(stack.id, 'RESET', 'learner:hal');
      await settle(rt);
      const fresh = await rt.ctx.stacks.get(stack.id);
      assert.equal(fresh.state, 'READY');
      assert.ok(fresh.provider === 'east' || fresh.provider === 'west');
      const events = await rt.ctx.stacks.events(stack.id);
      const deleted = events.find((e) => e.toState === 'DELETED');
      assert.match(deleted?.reason ?? '', new RegExp(`provider 'retired' is no longer configured: its stack ${suspended.providerStackName} \\(${suspended.providerStackId}\\) is left there; delete it by hand`));
    });

    test('a plain delete of a stack whose provider is gone keeps failing rather than forgetting the stack', async () => {
      const stack = await launch('ivy', 'two-clouds');
      await settle(rt);
      const store = new StackStore(rt.ctx.db);
      assert.ok(await store.update(stack.id, ['READY'], { provider: 'retired' }, rt.clock.now()));
      await rt.ctx.stacks.requestDelete(stack.id, 'test');
      await settle(rt);
      const after = await rt.ctx.stacks.get(stack.id);
      assert.deepEqual([after.state, after.errorCode], ['DELETE_FAILED', 'DELETE_FAILED']);
    });
  });
}
