/**
 * Gateway benchmarks against a real sshd, in one run: terminal throughput through the gateway (a `cat`
 * of 100 MB in the browser's terminal socket) vs plain `ssh -tt` to the same server, and keystroke echo
 * latency (a key sent on the socket until the pty's echo comes back), p50 and p99.
 */
import { spawn } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type WebSocket from 'ws';
import { gatewayWorld, openSocket, sshLab } from '../test/gateway/support/gateway-world.ts';
import { HAVE_SSHD } from '../test/gateway/support/local-sshd.ts';
import type { BenchResult } from './types.ts';

const SIZE = 100 * 1024 * 1024;
const MARK = 'BENCH-END-MARK';

/** Resolves when `marker` has been seen in the output after `since` bytes; returns bytes received. */
function waitForMarker(ws: WebSocket, marker: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let tail = '';
    const timer = setTimeout(() => reject(new Error(`no ${marker} after ${timeoutMs} ms (${bytes} bytes)`)), timeoutMs);
    const onMessage = (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      bytes += data.length;
      tail = (tail + data.toString('latin1')).slice(-(marker.length + 64));
      if (tail.includes(marker)) {
        clearTimeout(timer);
        ws.off('message', onMessage);
        resolve(bytes);
      }
    };
    ws.on('message', onMessage);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function run(): Promise<BenchResult[]> {
  if (!HAVE_SSHD) return [{ name: 'gateway: skipped', value: 0, unit: '', note: 'OpenSSH server not installed' }];
  const world = await gatewayWorld((sshd) => [sshLab(sshd)]);
  const file = join(world.sshd.dir, 'payload.txt');
  // Printable lines, as a learner's `cat` of a log would be.
  const line = 'x'.repeat(99) + '\n';
  writeFileSync(file, line.repeat(Math.ceil(SIZE / line.length)).slice(0, SIZE));
  try {
    const session = await world.session('bench');
    const stackId = await world.launch(session, 'shell');
    const grant = (await world.api<{ path: string; protocols: string[] }>(session, 'POST', `/api/v1/me/stacks/${stackId}/connections`, {})).body;
    const ws = await openSocket(world.base.replace('http', 'ws') + grant.path + '?cols=200&rows=50', grant.protocols);
    ws.send(Buffer.from(`stty -echo; echo READY-"MARK"\r`));
    await waitForMarker(ws, 'READY-MARK', 10_000);

    // Through the gateway.
    let t0 = process.hrtime.bigint();
    ws.send(Buffer.from(`cat ${file}; echo ${MARK.slice(0, 5)}""${MARK.slice(5)}\r`));
    const gatewayBytes = await waitForMarker(ws, MARK, 300_000);
    const gatewaySeconds = Number(process.hrtime.bigint() - t0) / 1e9;

    // Plain ssh with a pty, to the same server, in the same run.
    t0 = process.hrtime.bigint();
    const sshBytes = await new Promise<number>((resolve, reject) => {
      const child = spawn(
        'ssh',
        ['-tt', '-q', '-i', world.sshd.privateKeyFile, '-p', String(world.sshd.port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', `${world.sshd.user}@127.0.0.1`, `cat ${file}`],
        { stdio: ['pipe', 'pipe', 'ignore'] },
      );
      let n = 0;
      child.stdout.on('data', (d: Buffer) => (n += d.length));
      child.on('error', reject);
      child.on('close', () => resolve(n));
    });
    const sshSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const gatewayMBs = gatewayBytes / 1e6 / gatewaySeconds;
    const sshMBs = sshBytes / 1e6 / sshSeconds;

    // Keystroke echo: `cat` in the foreground, the pty echoes each key.
    ws.send(Buffer.from('stty echo; cat > /dev/null\r'));
    await new Promise((r) => setTimeout(r, 300));
    const samples: number[] = [];
    for (let i = 0; i < 200; i++) {
      const key = String.fromCharCode(97 + (i % 26));
      const echoed = new Promise<void>((resolve) => {
        const onMessage = (data: Buffer, isBinary: boolean) => {
          if (isBinary && data.toString('latin1').includes(key)) {
            ws.off('message', onMessage);
            resolve();
          }
        };
        ws.on('message', onMessage);
      });
      const start = process.hrtime.bigint();
      ws.send(Buffer.from(key));
      await echoed;
      samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    ws.send(Buffer.from('\x03'));
    ws.close();
    samples.sort((a, b) => a - b);
    return [
      { name: 'gateway: terminal throughput (cat 100 MB)', value: round(gatewayMBs), unit: 'MB/s', note: `${gatewayBytes} bytes in ${gatewaySeconds.toFixed(2)} s` },
      { name: 'gateway: plain ssh -tt throughput (same server)', value: round(sshMBs), unit: 'MB/s', note: `${sshBytes} bytes in ${sshSeconds.toFixed(2)} s` },
      { name: 'gateway: throughput ratio gateway / ssh', value: round(gatewayMBs / sshMBs), unit: 'ratio', goal: '>= 0.7' },
      { name: 'gateway: keystroke echo latency p50', value: round(percentile(samples, 50)), unit: 'ms' },
      { name: 'gateway: keystroke echo latency p99', value: round(percentile(samples, 99)), unit: 'ms' },
    ];
  } finally {
    rmSync(file, { force: true });
    await world.close();
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

if (process.argv[1]?.endsWith('gateway.bench.ts')) {
  run().then((results) => console.table(results), (error: unknown) => { console.error(error); process.exitCode = 1; });
}
