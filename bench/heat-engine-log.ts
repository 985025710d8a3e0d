/**
 * Heat's own time for each action on named stacks, read from heat-engine's log (millisecond
 * timestamps): from "Creating stack <name>" or "Stack SUSPEND IN_PROGRESS (<name>)" to "Stack ...
 * COMPLETE (<name>)". On a Heat shared with other work, one create can take 15 s and the next 60 s;
 * what a client adds on top of Heat's time does not swing like that, so heat-nova.bench.ts reports
 * it too when the log is readable.
 *
 * By hand: node --import tsx bench/heat-engine-log.ts /var/log/heat/heat-engine.log <stack name>...
 */
import { existsSync, readFileSync } from 'node:fs';

export const HEAT_ENGINE_LOG = process.env.HEAT_ENGINE_LOG ?? '/var/log/heat/heat-engine.log';

export type HeatAction = 'CREATE' | 'SUSPEND' | 'RESUME';
/** Milliseconds Heat took for each action of a stack, every time it did it, in the log's order. */
export type HeatTimes = Partial<Record<HeatAction, number[]>>;

const LINE = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) .*?(?:Creating stack (\S+)$|Stack (CREATE|SUSPEND|RESUME) (IN_PROGRESS|COMPLETE) \(([^)]+)\))/;

/** Heat's time per action for each of `names`, from the log's text. */
export function heatTimes(logText: string, names: readonly string[]): Map<string, HeatTimes> {
  const wanted = new Set(names.filter(Boolean));
  const started = new Map<string, number>();
  const out = new Map<string, HeatTimes>();
  for (const line of logText.split('\n')) {
    if (!line.includes('tack')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const at = Date.parse(`${m[1]!.replace(' ', 'T')}Z`);
    const name = m[2] ?? m[5]!;
    if (!wanted.has(name)) continue;
    const action = (m[3] ?? 'CREATE') as HeatAction;
    if (m[2] || m[4] === 'IN_PROGRESS') {
      // A create is logged both ways on some versions: the first mark counts.
      if (!(m[4] === 'IN_PROGRESS' && action === 'CREATE' && started.has(`${name} CREATE`))) started.set(`${name} ${action}`, at);
      continue;
    }
    const from = started.get(`${name} ${action}`);
    if (from === undefined) continue;
    started.delete(`${name} ${action}`);
    const seen = out.get(name) ?? {};
    seen[action] = [...(seen[action] ?? []), at - from];
    out.set(name, seen);
  }
  return out;
}

/** The same, from the log file; null when it cannot be read (another machine, no permission). */
export function heatTimesFromLog(names: readonly string[], file = HEAT_ENGINE_LOG): Map<string, HeatTimes> | null {
  try {
    return existsSync(file) ? heatTimes(readFileSync(file, 'utf8'), names) : null;
  } catch {
    return null;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, ...names] = process.argv.slice(2);
  const times = heatTimesFromLog(names, file);
  if (!times) throw new Error(`cannot read ${file}`);
  for (const name of names) console.log(name, JSON.stringify(times.get(name) ?? {}));
}
