/**
 * Paired A/B of the local runtime against another version of it (for instance the privileged
 * runtime before containers became unprivileged), alternating single-server launches on one host so
 * that both sides see the same load: launch to first SSH login, idle memory after 3 s, resume to SSH
 * login. Not part of `npm run bench` (it needs a second source tree):
 *
 *   mkdir /tmp/before && git archive <commit> | tar -x -C /tmp/before && ln -s "$PWD/node_modules" /tmp/before/
 *   node --import tsx bench/lxc-ab.ts /tmp/before [rounds]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { resolve } from 'node:path';

const beforeTree = resolve(process.argv[2] ?? '');
if (!process.argv[2]) throw new Error('usage: node --import tsx bench/lxc-ab.ts <other source tree> [rounds]');
const rounds = Number(process.argv[3] ?? 6);
const load = async (root: string) => ({
  sup: (await import(`${root}/test/lxc/support.ts`)) as typeof import('../test/lxc/support.ts'),
  ssh: (await import(`${root}/test/lxc/ssh.ts`)) as typeof import('../test/lxc/ssh.ts'),
  ct: (await import(`${root}/src/providers/lxc/containers.ts`)) as typeof import('../src/providers/lxc/containers.ts'),
});
const variants = { before: await load(beforeTree), after: await load(resolve(import.meta.dirname, '..')) };
const missing = await variants.after.sup.lxcMissing();
if (missing) throw new Error(missing);
const results: Record<string, Record<string, number[]>> = { before: {}, after: {} };
const add = (v: string, k: string, x: number) => (results[v][k] ??= []).push(x);
const providers = { before: variants.before.sup.testProvider(), after: variants.after.sup.testProvider() };
for (const p of Object.values(providers)) await p.list();

for (let r = 0; r < rounds; r++) {
  for (const v of r % 2 ? (['after', 'before'] as const) : (['before', 'after'] as const)) {
    const { sup, ssh, ct } = variants[v];
    const p = providers[v];
    const ref = { id: sup.uniqueName(`ab${v[0]}`), name: '' };
    ref.name = ref.id;
    let t = Date.now();
    await p.create({ name: ref.name, template: sup.labTemplate('single-server'), parameters: {}, timeoutSeconds: 300 });
    try {
      const done = await sup.waitFor(p, ref, 'CREATE', 300_000);
      if (done.status !== 'COMPLETE') throw new Error(`${v}: ${done.reason}`);
      const lab = { host: String(done.outputs.public_ip), username: 'training', privateKey: String(done.outputs.private_key) };
      await ssh.waitForLogin(lab, 60_000);
      add(v, 'launch to SSH login (ms)', Date.now() - t);
      await sleep(3000);
      add(v, 'idle memory (MiB)', Math.round(((await ct.containerMemory(sup.stackState(ref.name).plan.servers[0].container)) ?? 0) / 1048576));
      await p.suspend(ref);
      await sup.waitFor(p, ref, 'SUSPEND');
      t = Date.now();
      await p.resume(ref);
      await ssh.waitForLogin(lab, 60_000);
      add(v, 'resume to SSH login (ms)', Date.now() - t);
    } finally {
      await p.delete(ref);
    }
  }
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
for (const v of ['before', 'after']) for (const [k, a] of Object.entries(results[v])) console.log(`${v.padEnd(6)} ${k.padEnd(26)} median ${median(a)}  (${a.join(', ')})`);
