/**
 * The provider conformance suite: the contract in src/providers/provider.ts, checked against any provider.
 * Each provider's own test file calls `runProviderContract` with a factory that supplies the provider and
 * a template it can run (a real Heat, real containers, or the fake).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { deploymentPrefix } from '../../src/providers/stack-names.ts';
import {
  STACK_NAME_PREFIX,
  type DormancyProgress,
  type Provider,
  type ProviderAction,
  type ProviderStack,
  type StackRef,
  type ParameterValue,
} from '../../src/providers/provider.ts';

export interface ContractSetup {
  provider: Provider;
  /** A template the provider creates successfully, with outputs. */
  goodTemplate: string;
  parameters?: Record<string, ParameterValue>;
  /** Outputs that must appear once created. */
  expectOutputs?: string[];
  /** A template whose create ends FAILED (or is refused); omit if the provider cannot express one. */
  failingTemplate?: string;
  /** Longest time one action may take. */
  actionTimeoutMs: number;
  /** The provider must be able to shelve (its dormancy says canShelve); false: it must say it cannot. */
  expectShelve: boolean;
  pollMs?: number;
  teardown?: () => Promise<void>;
  /** The deployment the stacks are created for (a provider bound to one must get its own); default `contracts`. */
  deployment?: string;
}

async function waitFor(provider: Provider, ref: StackRef, action: ProviderAction, timeoutMs: number, pollMs: number): Promise<ProviderStack | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await provider.get(ref);
    if (!s) return null;
    if (s.action === action && s.status !== 'IN_PROGRESS') return s;
    if (Date.now() > deadline) throw new Error(`${action} still ${s.action}_${s.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export function runProviderContract(label: string, setup: () => Promise<ContractSetup | null>, options: { skip?: string | false } = {}): void {
  describe(`provider contract: ${label}`, { skip: options.skip || false, concurrency: false }, () => {
    let s: ContractSetup | null = null;
    let deployment = 'contracts';
    let name = '';
    let ref: StackRef;
    const made: StackRef[] = [];

    before(async () => {
      s = await setup();
      deployment = s?.deployment ?? deployment;
      name = `${deploymentPrefix(deployment)}contract-${randomBytes(3).toString('hex')}`;
    });
    after(async () => {
      if (!s) return;
      for (const r of made) await s.provider.delete(r).catch(() => undefined);
      // All at once: the hook has two minutes in all, not per stack.
      await Promise.all(made.map((r) => waitFor(s!.provider, r, 'DELETE', s!.actionTimeoutMs, s!.pollMs ?? 500).catch(() => undefined)));
      await s.teardown?.();
    });

    const need = () => {
      assert.ok(s, 'the setup returned no provider');
      return s;
    };

    test('get of a stack that was never created is null', async () => {
      const c = need();
      assert.equal(await c.provider.get({ id: `${name}-never`, name: `${name}-never` }), null);
    });

    test('create, then get reports CREATE COMPLETE with the outputs', async () => {
      const c = need();
      ref = await c.provider.create({ name, deployment, template: c.goodTemplate, parameters: c.parameters ?? {}, timeoutSeconds: Math.ceil(c.actionTimeoutMs / 1000) });
      made.push(ref);
      assert.equal(ref.name, name);
      const done = await waitFor(c.provider, ref, 'CREATE', c.actionTimeoutMs, c.pollMs ?? 500);
      assert.ok(done, 'stack vanished during create');
      assert.equal(done.status, 'COMPLETE', done.reason);
      for (const key of c.expectOutputs ?? []) assert.ok(key in done.outputs, `output ${key} missing: ${Object.keys(done.outputs).join(', ')}`);
    });

    test('create is idempotent by name: a second create returns the same stack', async () => {
      const c = need();
      const again = await c.provider.create({ name, deployment, template: c.goodTemplate, parameters: c.parameters ?? {}, timeoutSeconds: Math.ceil(c.actionTimeoutMs / 1000) });
      assert.equal(again.id, ref.id);
      const listed = (await c.provider.list()).filter((x) => x.name === name && !(x.action === 'DELETE' && x.status === 'COMPLETE'));
      assert.equal(listed.length, 1, 'two stacks with one name');
    });

    test('list includes the stack', async () => {
      const c = need();
      const listed = await c.provider.list();
      const mine = listed.find((x) => x.id === ref.id && x.name === name);
      assert.ok(mine, 'the stack is not listed');
      assert.equal(mine.deployment, deployment, 'the provider did not record the deployment the stack was created for');
      assert.ok(listed.every((x) => x.name.startsWith(STACK_NAME_PREFIX)), 'list returned a stack stacklab does not own');
    });

    test('suspend completes, and suspending again is harmless', async () => {
      const c = need();
      await c.provider.suspend(ref);
      const done = await waitFor(c.provider, ref, 'SUSPEND', c.actionTimeoutMs, c.pollMs ?? 500);
      assert.equal(done?.status, 'COMPLETE', done?.reason);
      await c.provider.suspend(ref);
      const again = await waitFor(c.provider, ref, 'SUSPEND', c.actionTimeoutMs, c.pollMs ?? 500);
      assert.equal(again?.status, 'COMPLETE');
    });

    test('resume completes and the outputs are still there', async () => {
      const c = need();
      await c.provider.resume(ref);
      const done = await waitFor(c.provider, ref, 'RESUME', c.actionTimeoutMs, c.pollMs ?? 500);
      assert.equal(done?.status, 'COMPLETE', done?.reason);
      for (const key of c.expectOutputs ?? []) assert.ok(key in done!.outputs, `output ${key} lost after resume`);
    });

    test('point 7: a provider that can shelve shelves and wakes a suspended stack in steps; one that cannot says so', async () => {
      const c = need();
      const { shelve, unshelve } = c.provider;
      if (!c.provider.dormancy?.canShelve) {
        // The sweeps shelve only where the dormancy says so: a provider without it suspends, then deletes.
        assert.equal(c.expectShelve, false, 'this provider was expected to shelve');
        assert.equal(shelve, undefined, 'a provider that cannot shelve offers no shelve step');
        return;
      }
      assert.equal(c.expectShelve, true, 'this provider was expected not to shelve');
      assert.ok(shelve && unshelve, 'a provider whose dormancy says canShelve has shelve and unshelve');
      const until = async (step: (ref: StackRef) => Promise<DormancyProgress>, what: string) => {
        const deadline = Date.now() + c.actionTimeoutMs;
        for (;;) {
          const progress = await step.call(c.provider, ref);
          if (progress.status !== 'IN_PROGRESS') return progress;
          if (Date.now() > deadline) throw new Error(`${what} still in progress after ${c.actionTimeoutMs} ms: ${progress.reason}`);
          await new Promise((r) => setTimeout(r, c.pollMs ?? 500));
        }
      };
      await c.provider.suspend(ref);
      assert.equal((await waitFor(c.provider, ref, 'SUSPEND', c.actionTimeoutMs, c.pollMs ?? 500))?.status, 'COMPLETE');
      const shelved = await until(shelve, 'shelve');
      assert.equal(shelved.status, 'COMPLETE', shelved.reason);
      assert.equal((await shelve.call(c.provider, ref)).status, 'COMPLETE', 'shelving a shelved stack is COMPLETE at once');
      const woken = await until(unshelve, 'unshelve');
      assert.equal(woken.status, 'COMPLETE', woken.reason);
      await c.provider.resume(ref);
      const done = await waitFor(c.provider, ref, 'RESUME', c.actionTimeoutMs, c.pollMs ?? 500);
      assert.equal(done?.status, 'COMPLETE', done?.reason);
      for (const key of c.expectOutputs ?? []) assert.ok(key in done!.outputs, `output ${key} lost after shelve and wake`);
    });

    test('delete completes; get is then null or DELETE COMPLETE; deleting again succeeds', async () => {
      const c = need();
      await c.provider.delete(ref);
      const done = await waitFor(c.provider, ref, 'DELETE', c.actionTimeoutMs, c.pollMs ?? 500);
      assert.ok(done === null || done.status === 'COMPLETE', done?.reason);
      await c.provider.delete(ref);
      const listed = (await c.provider.list()).filter((x) => x.name === name && !(x.action === 'DELETE' && x.status === 'COMPLETE'));
      assert.equal(listed.length, 0);
    });

    test('a stack that fails to create reports FAILED with a readable reason (or is refused)', async (t) => {
      const c = need();
      if (!c.failingTemplate) {
        t.skip('this provider has no way to express a failing template');
        return;
      }
      const failName = `${name}-fail`;
      try {
        const r = await c.provider.create({ name: failName, deployment, template: c.failingTemplate, parameters: c.parameters ?? {}, timeoutSeconds: Math.ceil(c.actionTimeoutMs / 1000) });
        made.push(r);
        const done = await waitFor(c.provider, r, 'CREATE', c.actionTimeoutMs, c.pollMs ?? 500);
        assert.equal(done?.status, 'FAILED');
        assert.ok(done!.reason.length > 5, `reason too short: '${done!.reason}'`);
      } catch (error) {
        assert.equal((error as { name?: string }).name, 'ProviderError', String(error));
        assert.ok((error as { userMessage: string }).userMessage.length > 5);
      }
    });
  });
}
