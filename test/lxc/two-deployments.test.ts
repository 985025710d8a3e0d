/**
 * Two deployments on one host share the local runtime (as a trial `npm start` next to a real
 * server would): B's reconciler, B's deletes and B's own stacks coming and going leave A's running
 * stack intact, because each deployment sees only its own folder and host names stay unique.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pino from 'pino';
import { mapRegistry } from '../../src/providers/provider-registry.ts';
import { StackStore } from '../../src/db/stack-store.ts';
import { dispatchTable } from '../../src/providers/lxc/nft-dispatch.ts';
import { deploymentDir } from '../../src/providers/lxc/provider.ts';
import { parseLxcOptions } from '../../src/providers/lxc/options.ts';
import { reconciler } from '../../src/services/sweeps.ts';
import { freshDatabase } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { sshExec, waitForLogin } from './ssh.ts';
import { LXC_DATA_DIR, labTemplate, leftovers, lxcMissing, stackState, testProvider, uniqueName, waitFor } from './support.ts';

const missing = await lxcMissing();
const suffix = randomBytes(4).toString('hex');
const A = `ta${suffix}`;
const B = `tb${suffix}`;
const home = (deployment: string) => deploymentDir(parseLxcOptions({ dataDir: LXC_DATA_DIR }), deployment);

describe('lxc: two deployments on one host', { skip: skipUnless(missing === null, missing ?? ''), concurrency: false }, () => {
  const a = testProvider({}, A);
  const b = testProvider({}, B);
  const aRef = { id: uniqueName('keep', A), name: uniqueName('keep', A) };
  const bRef = { id: uniqueName('churn', B), name: uniqueName('churn', B) };
  const legacyName = `stacklab-${randomBytes(6).toString('hex')}-1`;
  let target: { host: string; username: string; privateKey: string };
  let bShort = '';
  let bIps: string[] = [];

  after(async () => {
    await a.delete(aRef).catch(() => {});
    await b.delete(bRef).catch(() => {});
    rmSync(join(LXC_DATA_DIR, 'stacks', `${legacyName}.json`), { force: true });
    for (const d of [A, B]) rmSync(home(d), { recursive: true, force: true });
    // Their dispatch tables (nft-dispatch.ts) would stay on the host, empty, for good.
    for (const d of [A, B]) execFileSync('nft', ['-f', '-'], { input: ['bridge', 'inet'].map((f) => `table ${f} ${dispatchTable(d)} {}\ndelete table ${f} ${dispatchTable(d)}\n`).join('') });
  });

  test("both build at once, on host names and addresses of their own; each lists only its own", async () => {
    await Promise.all([
      a.create({ name: aRef.name, deployment: A, template: labTemplate('single-server'), parameters: {}, timeoutSeconds: 120 }),
      b.create({ name: bRef.name, deployment: B, template: labTemplate('single-server'), parameters: {}, timeoutSeconds: 120 }),
    ]);
    const [aDone, bDone] = await Promise.all([waitFor(a, aRef, 'CREATE'), waitFor(b, bRef, 'CREATE')]);
    assert.equal(aDone.status, 'COMPLETE', aDone.reason);
    assert.equal(bDone.status, 'COMPLETE', bDone.reason);
    assert.notEqual(aDone.outputs.public_ip, bDone.outputs.public_ip);
    const bState = stackState(bRef.name, home(B));
    bShort = bState.shortId;
    bIps = bState.plan.publicIps;
    assert.notEqual(stackState(aRef.name, home(A)).shortId, bShort);
    target = { host: String(aDone.outputs.public_ip), username: 'training', privateKey: String(aDone.outputs.private_key) };
    await waitForLogin(target);
    await sshExec(target, 'echo "work of the learner" > ~/work.txt');
    const [aList, bList] = await Promise.all([a.list(), b.list()]);
    assert.deepEqual(aList.filter((s) => s.name === aRef.name).map((s) => s.deployment), [A]);
    assert.ok(!bList.some((s) => s.name === aRef.name), "B lists A's stack");
    assert.ok(!aList.some((s) => s.name === bRef.name), "A lists B's stack");
  });

  test("B cannot reach A's stack by name: get is null, suspend is refused, delete does nothing", async () => {
    assert.equal(await b.get(aRef), null);
    await assert.rejects(b.suspend(aRef), (error: { code?: string }) => error.code === 'NOT_FOUND');
    await b.delete(aRef);
    const still = await a.get(aRef);
    assert.equal(`${still?.action}_${still?.status}`, 'CREATE_COMPLETE');
    assert.equal((await sshExec(target, 'cat ~/work.txt')).stdout.trim(), 'work of the learner');
  });

  test("B's reconciler, with an empty store and a month later, leaves A's stack and an old-named one alone", async () => {
    // A stack from before deployments: its state file in the shared folder, its name carrying no owner.
    mkdirSync(join(LXC_DATA_DIR, 'stacks'), { recursive: true });
    const legacyFile = join(LXC_DATA_DIR, 'stacks', `${legacyName}.json`);
    writeFileSync(legacyFile, JSON.stringify({ name: legacyName, shortId: 'zz0000', createdAt: '2025-01-01T00:00:00.000Z', action: 'CREATE', status: 'COMPLETE', reason: 'old', pid: 1, allowInternet: false }));
    const { db, drop } = await freshDatabase('pglite');
    try {
      const listed = await b.list();
      assert.ok(listed.some((s) => s.name === legacyName && s.deployment === undefined), 'the old-named stack is not listed, so this test proves nothing about it');
      const stats = await reconciler({ store: new StackStore(db), providers: mapRegistry([b]), logger: pino({ level: 'silent' }), deployment: B }, new Date(Date.now() + 30 * 86400_000), 120);
      assert.deepEqual(stats.errors, []);
      assert.ok(stats.acted >= 1, `B's reconciler did not delete B's own unknown stack: ${JSON.stringify(stats)}`);
    } finally {
      await drop();
    }
    assert.ok(existsSync(legacyFile), "B's reconciler deleted a stack named before deployments");
    const still = await a.get(aRef);
    assert.equal(`${still?.action}_${still?.status}`, 'CREATE_COMPLETE');
    assert.equal((await sshExec(target, 'cat ~/work.txt')).stdout.trim(), 'work of the learner');
  });

  test("B's own stack, deleted by B's reconciler above, left nothing behind, and A's stack still answers", async () => {
    assert.equal(await b.get(bRef), null, "B's reconciler did not delete B's own stack");
    assert.deepEqual(await leftovers(bShort, bRef.name, bIps, home(B)), []);
    assert.equal((await sshExec(target, 'cat ~/work.txt')).stdout.trim(), 'work of the learner');
    const still = await a.get(aRef);
    assert.equal(`${still?.action}_${still?.status}`, 'CREATE_COMPLETE');
  });
});
