/**
 * Heat restarting under a launch: a heat-api restart is ridden out by the client's retries on
 * connection errors; after a heat-engine restart the stack can still be read and deleted (Heat 19
 * may leave it CREATE_IN_PROGRESS for good: the orchestrator's watchdog must time it out), and the
 * cloud works afterwards.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { StackRef } from '../../src/providers/provider.ts';
import { createOpenStackProvider, type OpenStackProvider } from '../../src/providers/openstack/provider.ts';
import { IS_ROOT, skipUnless } from '../support/prerequisite.ts';
import { HEAT_MISSING, demoOptions, ensureHeat, uniqueStackName } from './heat-env.ts';
import { canRestart, startService, stopService, waitHeatApi } from './heat-services.ts';
import { OK_TEMPLATE, slowTemplate } from './templates.ts';
import { deleteAndWait, waitSettled } from './wait-stack.ts';

const env = await ensureHeat();
const skip =
  skipUnless(env !== null, HEAT_MISSING) ||
  skipUnless(IS_ROOT && env !== null && canRestart(env.stateDir), 'restarting Heat needs root and the pid files of scripts/setup-heat.sh');

describe('openstack provider across Heat restarts', { skip }, () => {
  let provider: OpenStackProvider;
  const started: StackRef[] = [];

  before(() => {
    provider = createOpenStackProvider('restart-cloud', demoOptions(env!));
  });
  after(async () => {
    for (const ref of started) await deleteAndWait(provider, ref);
  });

  test('a heat-api restart in the middle of a launch is ridden out', async () => {
    const ref = await provider.create({ name: uniqueStackName('apirestart'), template: slowTemplate(6), parameters: {}, timeoutSeconds: 300 });
    started.push(ref);
    stopService(env!.stateDir, 'heat-api');
    try {
      await assert.rejects(fetch('http://127.0.0.1:8004/', { signal: AbortSignal.timeout(1000) }), 'heat-api is really down');
      // The poll starts while nothing listens: the client retries until heat-api is back.
      const polling = provider.get(ref);
      startService(env!.stateDir, 'heat-api');
      const during = await polling;
      assert.equal(during?.action, 'CREATE');
    } finally {
      if (!canRestart(env!.stateDir)) startService(env!.stateDir, 'heat-api');
      await waitHeatApi();
    }
    const done = await waitSettled(provider, ref, 60_000);
    assert.equal(`${done?.action}_${done?.status}`, 'CREATE_COMPLETE', done?.reason);
  });

  test('a heat-engine restart in the middle of a launch: the stack can still be read and deleted, and Heat works after it', async () => {
    const ref = await provider.create({ name: uniqueStackName('engrestart'), template: slowTemplate(8), parameters: {}, timeoutSeconds: 300 });
    await new Promise((r) => setTimeout(r, 1500)); // the engine has taken the stack
    stopService(env!.stateDir, 'heat-engine');
    startService(env!.stateDir, 'heat-engine');
    // Heat 19 runs the convergence engine: the work the dead engine held is lost and the stack may
    // stay CREATE_IN_PROGRESS for good (Heat resets only legacy stacks at start). Whatever Heat
    // does, the provider must keep answering, so the orchestrator's watchdog can time it out.
    await new Promise((r) => setTimeout(r, 12_000));
    const seen = await provider.get(ref);
    assert.ok(seen, 'the stack still exists');
    assert.equal(seen.action, 'CREATE');
    console.error(`# 12 s after the engine restart: ${seen.action}_${seen.status}: ${seen.reason}`);
    if (seen.status === 'FAILED') assert.match(seen.reason, /\w{8,}/, 'the failure says why');

    // The watchdog's way out: delete, whatever the state.
    await provider.delete(ref);
    // Each wait well inside the test's own two minutes, with the 13.5 s above.
    const gone = await waitSettled(provider, ref, 45_000, 1000);
    assert.ok(gone === null || `${gone.action}_${gone.status}` === 'DELETE_COMPLETE', JSON.stringify(gone));

    const next = await provider.create({ name: uniqueStackName('afterengine'), template: OK_TEMPLATE, parameters: {}, timeoutSeconds: 120 });
    started.push(next);
    const ok = await waitSettled(provider, next, 45_000);
    assert.equal(`${ok?.action}_${ok?.status}`, 'CREATE_COMPLETE', ok?.reason);
  });
});
