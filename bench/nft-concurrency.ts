/**
 * How many `nft` calls on the host ruleset a process should run at once (src/providers/lxc/nft.ts):
 * `parallel` lab-like table pairs created and deleted side by side, with `background` pairs already on
 * the host, for each limit in turn. Needs root; makes and removes only tables named `stacklab_bench_*`.
 *
 *   node --import tsx bench/nft-concurrency.ts [background=300] [parallel=20] [limits=0,1,2,4]   (0: no limit)
 */
import { execFile } from 'node:child_process';

const nft = (input: string) =>
  new Promise<void>((resolve, reject) => {
    const child = execFile('nft', ['-f', '-'], { timeout: 120_000 }, (err, _out, stderr) =>
      err ? reject(new Error(`nft exited with ${err.code ?? err.signal}${err.killed ? ' (killed at the time limit)' : ''}: ${stderr.trim()}`)) : resolve(),
    );
    child.stdin?.end(input);
  });

const drop = (n: string) => ['bridge', 'inet'].map((f) => `table ${f} ${n} {}\ndelete table ${f} ${n}\n`).join('');
const make = (n: string) =>
  drop(n) +
  `table bridge ${n} {\n comment "bench"\n chain prerouting {\n  type filter hook prerouting priority -300; policy accept;\n  iifname "x${n.slice(-6)}" ether saddr != 02:00:00:00:00:01 drop\n }\n}\n` +
  `table inet ${n} {\n comment "bench"\n set g0 {\n  type ipv4_addr; flags interval;\n  elements = { 10.0.0.5 }\n }\n chain forward {\n  type filter hook forward priority -300; policy accept;\n  iifname != { "y${n.slice(-6)}" } return\n }\n}\n`;

function limiter(max: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    while (active >= max) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

const [background = 300, parallel = 20] = process.argv.slice(2, 4).map(Number);
const limits = (process.argv[4] ?? '0,1,2,4').split(',').map(Number);
const name = (kind: string, i: number) => `stacklab_bench_${kind}${String(i).padStart(5, '0')}`;
const bg = Array.from({ length: background }, (_, i) => name('b', i));
try {
  for (let i = 0; i < bg.length; i += 50) await nft(bg.slice(i, i + 50).map(make).join(''));
  for (const max of limits) {
    const limit = limiter(max || Infinity);
    const t0 = Date.now();
    let slowest = 0;
    const failures: string[] = [];
    await Promise.all(
      Array.from({ length: parallel }, async (_, i) => {
        for (const text of [make(name('p', i)), drop(name('p', i))]) {
          const s = Date.now();
          await limit(() => nft(text)).catch((err: Error) => failures.push(err.message));
          slowest = Math.max(slowest, Date.now() - s);
        }
      }),
    );
    console.log(`background ${background} pairs, ${parallel} creates + deletes, limit ${max || 'none'}: ${Date.now() - t0} ms in all, slowest call ${slowest} ms (with its wait), ${failures.length} failed${failures.length ? ` (${failures[0]})` : ''}`);
  }
} finally {
  for (let i = 0; i < bg.length; i += 50) await nft(bg.slice(i, i + 50).map(drop).join(''));
}
