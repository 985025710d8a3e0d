/**
 * Runs the crash campaign (chaos/crash.ts) to its end for a test: it bounds itself; a run still going
 * at 110 s is SIGKILLed with its whole process group (its fleet too), so the test fails, never hangs.
 */
import { spawn } from 'node:child_process';

const REPO = new URL('../..', import.meta.url).pathname;

export function crashCampaign(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'chaos/crash.ts', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 110_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, out });
    });
  });
}
