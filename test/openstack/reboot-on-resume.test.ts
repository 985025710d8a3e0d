/**
 * reboot_on_resume on real Nova: after a resume, stacklab hard-reboots the servers the template's
 * output lists, whether it names them by resource name (stacklab's labs) or by server id
 * (hastexo's templates, `{get_resource: server}`); Nova's instance actions show which ones.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createOpenStackProvider, type OpenStackProvider } from '../../src/providers/openstack/provider.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { demoOptions } from './heat-env.ts';
import { NOVA_MISSING, ensureNova } from './nova-env.ts';
import { serverIds, waitServers } from './nova-servers.ts';
import { REBOOT_TEMPLATE } from './nova-templates.ts';
import { deleteAndWait } from './wait-stack.ts';

const env = await ensureNova();

describe('reboot_on_resume on real Nova', { skip: skipUnless(env !== null, NOVA_MISSING), concurrency: false }, () => {
  let rt: TestRuntime;
  let os: OpenStackProvider;
  let made: string | undefined;

  const actions = async (serverId: string): Promise<string[]> => {
    const res = await os.session.request('compute', { method: 'GET', path: `/servers/${serverId}/os-instance-actions`, what: 'nova: instance actions' });
    assert.equal(res.status, 200, `instance actions of ${serverId}: HTTP ${res.status}`);
    return (res.body as { instanceActions: Array<{ action: string }> }).instanceActions.map((a) => a.action);
  };

  before(async () => {
    os = createOpenStackProvider('openstack', demoOptions(env!, { request_timeout_seconds: 60 }));
    const lab = testLab({
      id: 'reboot',
      template: REBOOT_TEMPLATE,
      providers: [{ name: 'openstack', capacity: -1, template: REBOOT_TEMPLATE, templateFile: 'template.yaml' }],
      timeouts: { launch: 300, suspend: 120, deleteAge: 3600, check: 120, remoteExec: 300 },
    });
    rt = await testRuntime({ providers: [os], labs: [lab], overrides: { poll_interval: 0.5 } });
    rt.worker.start();
  });

  after(async () => {
    await rt?.close();
    if (made) await deleteAndWait(os, { id: '', name: made }, 120_000);
  });

  test('a resume hard-reboots the servers listed by id and by name, and only those', { timeout: 600_000 }, async () => {
    const launched = await rt.ctx.stacks.launch({ learner: 'rebooter', context: 'course-v1:Org+OS+2026', lab: 'reboot', actor: 'test' });
    made = launched.providerStackName;
    const ready = await rt.ctx.stacks.waitForState(launched.id, ['READY'], 240_000, 500);
    const ref = { id: ready.providerStackId!, name: ready.providerStackName };
    const ids = await serverIds(os, ref);
    await waitServers(os, ref, ids, 'ACTIVE');
    const byId = ids.get('by_id')!;
    assert.ok((ready.outputs.reboot_on_resume as string[]).includes(byId), 'the output carries the server id, as hastexo templates yield');
    for (const id of ids.values()) assert.ok(!(await actions(id)).includes('reboot'), 'no reboot before the resume');

    await rt.ctx.stacks.requestSuspend(ready.id, 'test');
    await rt.ctx.stacks.waitForState(ready.id, ['SUSPENDED'], 120_000, 500);
    await rt.ctx.stacks.requestResume(ready.id, 'test');
    await rt.ctx.stacks.waitForState(ready.id, ['READY'], 120_000, 500);

    // The reboot is asked for right after READY; Nova records it as an instance action at once.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const [a, b] = [await actions(byId), await actions(ids.get('by_name')!)];
      if (a.includes('reboot') && b.includes('reboot')) break;
      if (Date.now() > deadline) assert.fail(`no reboot recorded by Nova: by_id=${a.join(',')} by_name=${b.join(',')}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    await waitServers(os, ref, ids, 'ACTIVE');
    assert.ok(!(await actions(ids.get('left_alone')!)).includes('reboot'), 'a server the output does not list is not rebooted');

    await rt.ctx.stacks.requestDelete(ready.id, 'test');
    await rt.ctx.stacks.waitForState(ready.id, ['DELETED'], 120_000, 500);
    made = undefined;
  });
});
