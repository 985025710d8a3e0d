/**
 * The OpenStack provider against the real Keystone + Heat of scripts/setup-heat.sh, as the demo
 * (non-admin) user: the whole lifecycle, idempotency, failure reasons and Heat's validation.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ProviderError, type StackRef } from '../../src/providers/provider.ts';
import { createOpenStackProvider, type OpenStackProvider } from '../../src/providers/openstack/provider.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { HEAT_MISSING, demoOptions, ensureHeat, uniqueStackName } from './heat-env.ts';
import { BAD_TYPE_TEMPLATE, FAILING_TEMPLATE, OK_TEMPLATE } from './templates.ts';
import { deleteAndWait, waitSettled } from './wait-stack.ts';

const env = await ensureHeat();

describe('openstack provider on a real Heat', { skip: skipUnless(env !== null, HEAT_MISSING) }, () => {
  let provider: OpenStackProvider;
  const started: StackRef[] = [];

  before(() => {
    provider = createOpenStackProvider('test-cloud', demoOptions(env!));
  });
  after(async () => {
    for (const ref of started) await deleteAndWait(provider, ref);
  });

  test('create, read outputs, suspend, resume, delete; every step idempotent', async () => {
    const name = uniqueStackName('life');
    // `learner` is not declared by the template: Heat would refuse it, the provider leaves it out.
    const req = { name, template: OK_TEMPLATE, parameters: { run: 'run-42', learner: 'anon-7' }, timeoutSeconds: 300 };
    const ref = await provider.create(req);
    started.push(ref);
    assert.equal(ref.name, name);
    assert.match(ref.id, /^[0-9a-f-]{36}$/);

    const again = await provider.create(req);
    assert.deepEqual(again, ref, 'a second create with the same name adopts the first stack');

    const ready = await waitSettled(provider, ref);
    assert.ok(ready);
    assert.equal(`${ready.action}_${ready.status}`, 'CREATE_COMPLETE', ready.reason);
    assert.equal(typeof ready.outputs.password, 'string');
    assert.equal((ready.outputs.password as string).length, 16);
    assert.equal(ready.outputs.public_ip, '203.0.113.7');
    assert.equal(ready.outputs.run, 'run-42');
    // A status read (every poll but a launch's) leaves the outputs to Heat unresolved.
    const status = await provider.get(ref, { outputs: false });
    assert.equal(`${status?.action}_${status?.status}`, 'CREATE_COMPLETE');
    assert.deepEqual(status?.outputs, {}, 'Heat resolved the outputs of a status read');

    const listed = await provider.list();
    const mine = listed.find((s) => s.id === ref.id);
    assert.ok(mine, 'list() holds the new stack');
    assert.equal(mine.name, name);
    assert.ok(mine.createdAt instanceof Date && !Number.isNaN(mine.createdAt.getTime()));
    assert.ok(listed.every((s) => s.name.startsWith('stacklab-')));

    await provider.resume(ref); // resuming a running stack does nothing
    assert.equal((await provider.get(ref))?.action, 'CREATE');

    await provider.suspend(ref);
    const suspended = await waitSettled(provider, ref);
    assert.equal(`${suspended?.action}_${suspended?.status}`, 'SUSPEND_COMPLETE', suspended?.reason);
    await provider.suspend(ref); // already suspended: nothing happens
    assert.equal(`${(await provider.get(ref))?.action}_${(await provider.get(ref))?.status}`, 'SUSPEND_COMPLETE');

    // Told the stack is suspended, the provider asks Heat to resume without looking first.
    const show = provider.heat.show;
    let shows = 0;
    provider.heat.show = (...args) => (shows++, show.apply(provider.heat, args));
    try {
      await provider.resume(ref, { suspended: true });
    } finally {
      provider.heat.show = show;
    }
    assert.equal(shows, 0, 'a resume of a stack known to be suspended looked at it first');
    const resumed = await waitSettled(provider, ref);
    assert.equal(`${resumed?.action}_${resumed?.status}`, 'RESUME_COMPLETE', resumed?.reason);
    // A resume cut short and asked again finds it resumed: Heat leaves it as it is.
    await provider.resume(ref, { suspended: true });
    const twice = await waitSettled(provider, ref);
    assert.equal(`${twice?.action}_${twice?.status}`, 'RESUME_COMPLETE', twice?.reason);
    assert.equal(resumed?.outputs.password, ready.outputs.password, 'outputs survive suspend/resume');

    await provider.delete(ref);
    const gone = await waitSettled(provider, ref);
    assert.ok(gone === null || (gone.action === 'DELETE' && gone.status === 'COMPLETE'), `after delete: ${JSON.stringify(gone)}`);
    await provider.delete(ref); // deleting a deleted stack succeeds
    const byName = await provider.get({ id: '', name });
    assert.ok(byName === null || byName.action === 'DELETE', 'by name, a deleted stack is gone or DELETE_COMPLETE');
    assert.ok(!(await provider.list()).some((s) => s.id === ref.id), 'list() no longer holds it');

    // A relaunch reuses the deterministic name: it must build a new stack, not adopt the deleted one.
    const relaunched = await provider.create(req);
    started.push(relaunched);
    assert.notEqual(relaunched.id, ref.id);
    const second = await waitSettled(provider, relaunched);
    assert.equal(`${second?.action}_${second?.status}`, 'CREATE_COMPLETE', second?.reason);
  });

  test('a stack that never existed: get is null, delete succeeds, suspend says NOT_FOUND', async () => {
    const ghost = { id: '00000000-0000-4000-8000-000000000000', name: uniqueStackName('ghost') };
    assert.equal(await provider.get(ghost), null);
    assert.equal(await provider.get({ id: '', name: ghost.name }), null);
    await provider.delete(ghost);
    await assert.rejects(provider.suspend(ghost), (e: unknown) => e instanceof ProviderError && e.code === 'NOT_FOUND');
  });

  test("a failing create reports Heat's reason and the failing resource", async () => {
    const ref = await provider.create({ name: uniqueStackName('fail'), template: FAILING_TEMPLATE, parameters: {}, timeoutSeconds: 120 });
    started.push(ref);
    const failed = await waitSettled(provider, ref);
    assert.equal(`${failed?.action}_${failed?.status}`, 'CREATE_FAILED');
    console.error(`# failure reason: ${failed!.reason}`);
    assert.match(failed!.reason, /broken/);
    assert.match(failed!.reason, /Test Resource failed/);
    assert.deepEqual(failed!.outputs, {});
    const events = await provider.heat.failedEvents(ref);
    assert.ok(events.length > 0 && events.every((e) => e.resource_status.endsWith('FAILED')), "Heat's FAILED filter works");
    assert.ok(events.some((e) => e.resource_name === 'broken'), 'the failing resource has its own event');
  });

  test('a template Heat cannot run is refused before anything is built, in words', async () => {
    const name = uniqueStackName('badtype');
    await assert.rejects(
      provider.create({ name, template: BAD_TYPE_TEMPLATE, parameters: {}, timeoutSeconds: 60 }),
      (e: unknown) => e instanceof ProviderError && e.code === 'TEMPLATE_INVALID' && /NoSuchThing/.test(e.userMessage),
    );
    assert.equal(await provider.get({ id: '', name }), null);
  });

  test("validate uses Heat's own check", async () => {
    assert.deepEqual(await provider.validate!({ template: OK_TEMPLATE, parameters: {} }), []);
    const problems = await provider.validate!({ template: BAD_TYPE_TEMPLATE, parameters: {} });
    assert.equal(problems.length, 1);
    assert.match(problems[0], /OS::Heat::NoSuchThing/);
    const yamlProblems = await provider.validate!({ template: 'heat_template_version: 2018-08-31\nresources: [oops: {', parameters: {} });
    assert.match(yamlProblems[0] ?? '', /line \d+/);
  });

  // The test cloud has Nova now (scripts/setup-openstack.sh), so the branch for a catalog without
  // compute cannot be reached here any more. Reboots of real servers, by name and by id, are in
  // reboot-on-resume.test.ts.
  test('rebootServers of a stack Heat does not know is refused as NOT_FOUND', async () => {
    assert.ok(await provider.session.endpoint('compute'), 'the test cloud has Nova');
    await assert.rejects(provider.rebootServers!({ id: '00000000-0000-4000-8000-000000000000', name: 'stacklab-none' }, ['server1']), (error: { code?: string }) => error.code === 'NOT_FOUND');
  });
});
