/**
 * Restarting the heat-api and heat-engine that scripts/setup-heat.sh started (by their pid files in
 * its state dir, the way that script starts them), to test that the provider rides out a restart.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export type HeatService = 'heat-api' | 'heat-engine';

export function canRestart(stateDir: string): boolean {
  return ['heat-api', 'heat-engine'].every((s) => existsSync(join(stateDir, `${s}.pid`))) && existsSync('/sbin/start-stop-daemon');
}

function run(args: string[]): void {
  const r = spawnSync('/sbin/start-stop-daemon', args, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`start-stop-daemon ${args.join(' ')}: status ${r.status}: ${r.stderr}`);
}

export function stopService(stateDir: string, service: HeatService): void {
  run(['--stop', '--pidfile', join(stateDir, `${service}.pid`), '--retry', '15', '--remove-pidfile']);
}

export function startService(stateDir: string, service: HeatService): void {
  run(['--start', '--background', '--make-pidfile', '--pidfile', join(stateDir, `${service}.pid`), '--chuid', 'heat:heat', '--exec', `/usr/bin/${service}`, '--', '--config-file', '/etc/heat/heat.conf']);
}

export async function waitHeatApi(timeoutMs = 60_000): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    try {
      const res = await fetch('http://127.0.0.1:8004/', { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return Date.now() - t0;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`heat-api did not come back within ${timeoutMs} ms`);
}
