/**
 * Shrinks a failing case to the fewest template lines that still fail the same way (same
 * signature, or still slow), by removing ever smaller runs of lines (delta debugging).
 */
import { judge, type Outcome } from './judge.ts';
import type { FuzzCase } from './mutate.ts';

function sameFailure(c: FuzzCase, want: Outcome, slowMs: number): boolean {
  const o = judge(c);
  if (want.signature !== undefined) return o.signature === want.signature;
  return o.cpuMs > slowMs;
}

export function minimize(c: FuzzCase, want: Outcome, slowMs: number, budget = 300): FuzzCase {
  let lines = c.template.split('\n');
  let tries = 0;
  for (let chunk = Math.max(1, Math.floor(lines.length / 2)); chunk >= 1; chunk = Math.floor(chunk / 2)) {
    for (let i = 0; i < lines.length && tries < budget; ) {
      const candidate = [...lines.slice(0, i), ...lines.slice(i + chunk)];
      tries++;
      if (candidate.length && sameFailure({ ...c, template: candidate.join('\n') }, want, slowMs)) lines = candidate;
      else i += chunk;
    }
  }
  return { ...c, template: lines.join('\n') };
}
