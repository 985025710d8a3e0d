/**
 * Requests whose answer is lost (found by the provider-faults campaign): Heat may have acted on a
 * create or a suspend that stacklab never heard back from. A create is looked up by name before it
 * is sent again, so a lost answer does not make a second stack, and a twin that Heat made all the same
 * (two overlapping creates of one name) is deleted; one that cannot be settled fails after removing
 * what it may have left; a suspend already under way is taken as accepted; and a stack Heat shows as
 * DELETE_COMPLETE is no stack at all.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ProviderError } from '../../src/providers/provider.ts';
import { createOpenStackProvider, type OpenStackProvider } from '../../src/providers/openstack/provider.ts';
import { FakeCloud, PROJECT, heatStack, sendJson } from './fake-cloud.ts';

const ID = '11111111-2222-4333-8444-555555555555';
const NAME = 'stacklab-lost-1';
const TEMPLATE = 'heat_template_version: 2018-08-31\n';

describe('lost answers (local fake cloud)', () => {
  let cloud: FakeCloud;
  const providers: OpenStackProvider[] = [];

  /** A provider that waits 300 ms for an answer, with quick retries. */
  function make(): OpenStackProvider {
    const p = createOpenStackProvider(
      'unit',
      { auth: { auth_url: cloud.authUrl, username: 'demo', password: 'demopass', project_name: 'demo' }, region: 'RegionOne', request_timeout_seconds: 0.3 },
      undefined,
      { retry: { retries: 2, baseDelayMs: 5, maxDelayMs: 10 }, sources: { env: {} } },
    );
    providers.push(p);
    return p;
  }

  /** Heat by name: 404 until `exists()`, then the 302 to the stack, shown in `status`. */
  function byName(exists: () => boolean, status: () => string): void {
    cloud.on('GET', new RegExp(`^/heat/v1/${PROJECT}/stacks/${NAME}$`), (_c, res) =>
      exists() ? sendJson(res, 302, {}, { Location: `${cloud.heatUrl}/stacks/${NAME}/${ID}` }) : sendJson(res, 404, { error: { type: 'EntityNotFound', message: 'not found' } }),
    );
    cloud.on('GET', new RegExp(`^/heat/v1/${PROJECT}/stacks/${NAME}/${ID}$`), (_c, res) => sendJson(res, 200, heatStack(NAME, ID, status())));
  }

  before(async () => {
    cloud = await new FakeCloud().start();
  });
  beforeEach(() => {
    cloud.calls.length = 0;
  });
  after(async () => {
    for (const p of providers) await p.close?.();
    await cloud.stop();
  });

  test('a create whose answer never came, but which Heat acted on, is adopted: one POST, one stack', async () => {
    let made = false;
    cloud.on('POST', new RegExp(`^/heat/v1/${PROJECT}/stacks$`), () => {
      made = true; // Heat made the stack; its answer is lost on the way
    });
    byName(() => made, () => 'CREATE_IN_PROGRESS');
    const ref = await make().create({ name: NAME, template: TEMPLATE, parameters: {}, timeoutSeconds: 60 });
    assert.deepEqual(ref, { id: ID, name: NAME });
    assert.equal(cloud.heatCalls('POST').length, 1, 'the create was sent again although the stack was there');
  });

  test('a create that never got through is sent again', async () => {
    let posts = 0;
    cloud.on('POST', new RegExp(`^/heat/v1/${PROJECT}/stacks$`), (_c, res) => {
      if (++posts === 2) sendJson(res, 201, { stack: { id: ID } }); // the first is lost before Heat
    });
    byName(() => false, () => 'CREATE_IN_PROGRESS');
    assert.deepEqual(await make().create({ name: NAME, template: TEMPLATE, parameters: {}, timeoutSeconds: 60 }), { id: ID, name: NAME });
    assert.equal(posts, 2);
  });

  test('a create that stays unanswered fails in words, after removing anything of its name', async () => {
    let deleted = 0;
    cloud.on('POST', new RegExp(`^/heat/v1/${PROJECT}/stacks$`), () => undefined);
    byName(() => false, () => 'CREATE_IN_PROGRESS');
    // Heat's list shows a stack of the name once the third create is out (one that landed late).
    cloud.on('GET', new RegExp(`^/heat/v1/${PROJECT}/stacks$`), (c, res) =>
      sendJson(res, 200, { stacks: cloud.heatCalls('POST').length >= 3 && c.path.includes(`name=${NAME}`) ? [{ id: ID, stack_name: NAME, stack_status: 'CREATE_IN_PROGRESS' }] : [] }),
    );
    cloud.on('DELETE', new RegExp(`/stacks/${NAME}/${ID}$`), (_c, res) => {
      deleted++;
      res.writeHead(204).end();
    });
    await assert.rejects(
      make().create({ name: NAME, template: TEMPLATE, parameters: {}, timeoutSeconds: 60 }),
      (e: unknown) => e instanceof ProviderError && e.code === 'UNAVAILABLE' && /not answering/.test(e.userMessage) && /after 3 attempts/.test(e.detail),
    );
    assert.equal(cloud.heatCalls('POST').length, 3);
    assert.equal(deleted, 1, 'what the lost creates may have made was not removed');
  });

  test('two creates of one name that both got through: the twin is deleted, the answered one kept', async () => {
    const TWIN = '99999999-2222-4333-8444-555555555555';
    let deleted: string[] = [];
    // The first create is slow in Heat: stacklab stops waiting, looks, finds nothing and sends it
    // again; the second is answered; then the first lands too, under the same name.
    cloud.on('POST', new RegExp(`^/heat/v1/${PROJECT}/stacks$`), (_c, res) => {
      if (cloud.heatCalls('POST').length === 2) sendJson(res, 201, { stack: { id: ID } });
    });
    byName(() => false, () => 'CREATE_IN_PROGRESS');
    cloud.on('GET', new RegExp(`^/heat/v1/${PROJECT}/stacks$`), (_c, res) =>
      sendJson(res, 200, { stacks: [{ id: TWIN, stack_name: NAME, stack_status: 'CREATE_IN_PROGRESS' }, { id: ID, stack_name: NAME, stack_status: 'CREATE_IN_PROGRESS' }] }),
    );
    cloud.on('DELETE', new RegExp(`/stacks/${NAME}/([^/]+)$`), (_c, res, m) => {
      deleted = [...deleted, m[1]!];
      res.writeHead(204).end();
    });
    assert.deepEqual(await make().create({ name: NAME, template: TEMPLATE, parameters: {}, timeoutSeconds: 60 }), { id: ID, name: NAME });
    assert.deepEqual(deleted, [TWIN]);
  });

  test('a create the HTTP client sent again after a cut connection also looks for a twin', async () => {
    const TWIN = '88888888-2222-4333-8444-555555555555';
    const deleted: string[] = [];
    cloud.on('POST', new RegExp(`^/heat/v1/${PROJECT}/stacks$`), (_c, res) => {
      if (cloud.heatCalls('POST').length === 1) res.socket?.destroy(); // Heat made TWIN; its answer never left
      else sendJson(res, 201, { stack: { id: ID } }); // and, still storing TWIN, it let the retry through
    });
    cloud.on('GET', new RegExp(`^/heat/v1/${PROJECT}/stacks$`), (_c, res) =>
      sendJson(res, 200, { stacks: [{ id: TWIN, stack_name: NAME, stack_status: 'CREATE_IN_PROGRESS' }, { id: ID, stack_name: NAME, stack_status: 'CREATE_IN_PROGRESS' }] }),
    );
    cloud.on('DELETE', new RegExp(`/stacks/${NAME}/([^/]+)$`), (_c, res, m) => {
      deleted.push(m[1]!);
      res.writeHead(204).end();
    });
    assert.deepEqual(await make().create({ name: NAME, template: TEMPLATE, parameters: {}, timeoutSeconds: 60 }), { id: ID, name: NAME });
    assert.equal(cloud.heatCalls('POST').length, 2);
    assert.deepEqual(deleted, [TWIN]);
  });

  test('a suspend whose answer was lost, but which Heat started, is accepted; a refused one is not', async () => {
    let status = 'CREATE_COMPLETE';
    cloud.on('POST', new RegExp(`/stacks/${NAME}/${ID}/actions$`), () => {
      status = 'SUSPEND_IN_PROGRESS'; // acted on, never answered
    });
    byName(() => true, () => status);
    const p = make();
    await p.suspend({ id: ID, name: NAME });
    assert.equal(cloud.heatCalls('POST').length, 1);

    status = 'SUSPEND_COMPLETE';
    cloud.on('POST', new RegExp(`/stacks/${NAME}/${ID}/actions$`), (_c, res) => sendJson(res, 409, { error: { type: 'ActionInProgress', message: 'busy' } }));
    status = 'RESUME_FAILED';
    await assert.rejects(p.resume({ id: ID, name: NAME }), (e: unknown) => e instanceof ProviderError && e.code === 'CONFLICT');
  });

  test('a stack Heat shows as DELETE_COMPLETE is gone, so a wait for another action ends', async () => {
    byName(() => true, () => 'DELETE_COMPLETE');
    assert.equal(await make().get({ id: ID, name: NAME }), null);
  });
});
