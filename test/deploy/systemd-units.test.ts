/**
 * The systemd units (deploy/systemd). This machine has no systemd as PID 1, so each unit is checked by
 * `systemd-analyze verify` (no unknown key, an executable ExecStart) and then its ExecStart is run the
 * way the unit confines it, in the image (which holds /usr/bin/node, /opt/stacklab and the stacklab
 * user): as User=, with Environment= and EnvironmentFile=, in WorkingDirectory=, the whole file system
 * read-only but ReadWritePaths= (ProtectSystem=strict), a private /tmp, no new privileges and no
 * capabilities. serve must answer /healthz and the worker its /metrics, against one PostgreSQL.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { skipUnless } from '../support/prerequisite.ts';
import { freePort, freshDatabase, IMAGE, imageMissing, podman, REPO, token, waitForOk } from './support.ts';

const run = promisify(execFile);
const UNITS = ['stacklab-serve', 'stacklab-worker'] as const;
const unitPath = (unit: string) => join(REPO, 'deploy/systemd', `${unit}.service`);

/** The [Service] section as key -> values (a key may repeat). */
export function serviceSection(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[')) section = line;
    else if (section === '[Service]') {
      const eq = line.indexOf('=');
      const key = line.slice(0, eq);
      out.set(key, [...(out.get(key) ?? []), line.slice(eq + 1)]);
    }
  }
  return out;
}

const one = (s: Map<string, string[]>, key: string) => s.get(key)?.at(-1) ?? '';

/** `podman run` arguments that confine ExecStart as the unit would, plus ExecStart itself. */
function confinedRun(service: Map<string, string[]>, envFile: string, volume: string, name: string): string[] {
  const args = ['run', '-d', '--name', name, '--network', 'host', '--env-file', envFile];
  args.push('--user', one(service, 'User'));
  for (const line of service.get('Environment') ?? []) for (const pair of line.split(/\s+/).filter(Boolean)) args.push('-e', pair);
  args.push('-w', one(service, 'WorkingDirectory'));
  if (one(service, 'ProtectSystem') === 'strict') args.push('--read-only');
  for (const path of (service.get('ReadWritePaths') ?? []).flatMap((l) => l.split(/\s+/))) args.push('-v', `${volume}:${path}:U`);
  if (one(service, 'PrivateTmp') === 'yes') args.push('--tmpfs', '/tmp');
  if (one(service, 'NoNewPrivileges') === 'yes') args.push('--security-opt', 'no-new-privileges');
  if (service.has('CapabilityBoundingSet') && one(service, 'CapabilityBoundingSet') === '') args.push('--cap-drop', 'all');
  const [binary, ...rest] = one(service, 'ExecStart').split(/\s+/);
  return [...args, '--entrypoint', binary, IMAGE, ...rest];
}

describe('systemd units', () => {
  for (const unit of UNITS) {
    test(`${unit}: systemd-analyze verify finds nothing to say about it`, async () => {
      const r = await run('systemd-analyze', ['verify', unitPath(unit)]).then(
        (ok) => ({ code: 0, out: ok.stdout + ok.stderr }),
        (err: { code?: number; stdout?: string; stderr?: string }) => ({ code: err.code ?? 1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` }),
      );
      // Other units of this machine may be reported too; only lines about ours count.
      const ours = r.out.split('\n').filter((l) => l.includes(unit));
      assert.deepEqual(ours, [], `systemd-analyze verify ${unit}.service`);
      assert.equal(r.code, 0);
    });

    test(`${unit}: runs as an unprivileged user, with no new privileges, writing only its state folder`, () => {
      const s = serviceSection(readFileSync(unitPath(unit), 'utf8'));
      assert.equal(one(s, 'User'), 'stacklab');
      assert.equal(one(s, 'NoNewPrivileges'), 'yes');
      assert.equal(one(s, 'ProtectSystem'), 'strict');
      assert.equal(one(s, 'PrivateTmp'), 'yes');
      assert.equal(one(s, 'EnvironmentFile'), '/etc/stacklab/stacklab.env', 'the file docs/deploy.md has operators write');
      const dataDir = /STACKLAB_DATA_DIR=(\S+)/.exec((s.get('Environment') ?? []).join(' '))?.[1] ?? '';
      assert.ok((s.get('ReadWritePaths') ?? []).some((p) => dataDir.startsWith(p)), `the data folder ${dataDir} is writable`);
    });
  }
});

const missing = await imageMissing();

describe('systemd units: ExecStart, confined as the unit says, in the image', { skip: skipUnless(missing === null, missing ?? ''), concurrency: false }, () => {
  const id = `${process.pid}`;
  const names = UNITS.map((u) => `${u}-unit-${id}`);
  const volume = `stacklab-units-${id}`;
  const apiToken = token();
  const folder = mkdtempSync(join(tmpdir(), 'stacklab-units-'));
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let port = 0;
  let metricsPort = 0;

  before(async () => {
    db = await freshDatabase(`units_${process.pid}`);
    [port, metricsPort] = [await freePort(), await freePort()];
    // /etc/stacklab/stacklab.env as docs/deploy.md describes it; one key for both processes.
    writeFileSync(join(folder, 'stacklab.env'), [
      `DATABASE_URL=${db.url}`, `PORT=${port}`, 'STACKLAB_HOST=127.0.0.1', `STACKLAB_API_TOKEN=${apiToken}`,
      `STACKLAB_SECRET_KEY=${randomBytes(32).toString('base64')}`, `STACKLAB_WORKER_METRICS_PORT=${metricsPort}`,
      'STACKLAB_PROVIDERS=[{"name":"units","kind":"fake"}]', '',
    ].join('\n'));
    await podman(['volume', 'create', volume]);
  });

  after(async () => {
    for (const name of names) await podman(['rm', '-f', '-v', '-t', '2', name]).catch(() => undefined);
    await podman(['volume', 'rm', '-f', volume]).catch(() => undefined);
    await db?.drop();
    rmSync(folder, { recursive: true, force: true });
  });

  test('serve answers /healthz and the worker its /metrics, both as stacklab', async () => {
    for (const [i, unit] of UNITS.entries()) {
      const service = serviceSection(readFileSync(unitPath(unit), 'utf8'));
      await podman(confinedRun(service, join(folder, 'stacklab.env'), volume, names[i]));
    }
    await waitForOk(`http://127.0.0.1:${port}/healthz`, 90_000, names[0]);
    const metrics = await waitForOk(`http://127.0.0.1:${metricsPort}/metrics`, 90_000, names[1], { authorization: `Bearer ${apiToken}` });
    assert.match(await metrics.text(), /^# HELP /m);
    for (const name of names) {
      const users = (await podman(['top', name, 'user', 'args'])).split('\n').filter((l) => l.includes('stacklab.js'));
      assert.ok(users.length > 0 && users.every((l) => /^stacklab\s/.test(l.trim())), `${name} runs as stacklab: ${users.join(' | ')}`);
    }
  });
});
