/**
 * `npm run bench [-- name ...]`: runs bench/*.bench.ts (or the named ones), prints a table and writes
 * bench/results.json. Each benchmark compares against a baseline measured in the same run, since these
 * machines are noisy; BENCHMARKS.md records the figures with the command that produced them.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './types.ts';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();
const all: Record<string, BenchResult[] | { skipped: string }> = {};
for (const file of files) {
  const name = file.replace('.bench.ts', '');
  process.stdout.write(`\n== ${name}\n`);
  const mod = (await import(join(here, file))) as { run(): Promise<BenchResult[] | { skipped: string }> };
  try {
    const results = await mod.run();
    all[name] = results;
    if ('skipped' in results) {
      console.log(`skipped: ${results.skipped}`);
      continue;
    }
    for (const r of results) {
      const verdict = r.met === undefined ? '' : r.met ? ' ✓' : ' ✗';
      console.log(`${r.name.padEnd(58)} ${String(Number(r.value.toFixed(3))).padStart(12)} ${r.unit.padEnd(8)} ${r.goal ? `goal ${r.goal}${verdict}` : ''}${r.note ? `  (${r.note})` : ''}`);
    }
  } catch (error) {
    console.error(`${name} failed: ${(error as Error).stack}`);
    process.exitCode = 1;
  }
}
// Merge, so running one benchmark does not erase the others' last figures.
const file = join(here, 'results.json');
const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { results?: Record<string, unknown> }).results ?? {} : {};
writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), results: { ...previous, ...all } }, null, 2));
