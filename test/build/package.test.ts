/**
 * `npm pack` makes a package an operator can install and run: packed (which builds), installed into an
 * empty folder with `npm install --omit=dev` from the npm registry, made read-only, then run by a user who
 * owns none of it (nobody, when the tests run as root): `stacklab --version`, and `stacklab serve --demo`
 * from another folder answering /healthz, its labs (the shipped samples) and its web assets. Slow-ish (a
 * real install, a minute or two); it runs in CI, where a registry that cannot be reached is a failure.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { eventually } from '../support/eventually.ts';
import { freePort } from '../support/free-port.ts';
import { IS_ROOT, skipUnless } from '../support/prerequisite.ts';
import { openPglite } from '../../src/db/database.ts';
import { MIGRATIONS } from '../../src/db/migrations.ts';

const REPO = resolve(import.meta.dirname, '../..');
const exec = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'stacklab-pack-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A user who owns nothing of the install: nobody when we are root, else ourselves (on a read-only install). */
const runAs = IS_ROOT ? { uid: 65534, gid: 65534 } : {};
/** This process's environment (npm's registry and proxy settings) without the tests' stacklab settings. */
const env = (): NodeJS.ProcessEnv => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('STACKLAB_') && k !== 'DATABASE_URL'));

async function registryReachable(): Promise<boolean> {
  return exec('npm', ['ping'], { cwd: scratch, timeout: 30_000 }).then(() => true, () => false);
}

const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
const install = join(scratch, 'install');
const data = join(scratch, 'data');
const elsewhere = join(scratch, 'elsewhere');
const bin = join(install, 'node_modules/.bin/stacklab');

// Packing and installing are the slow part (a minute or two): a hook, which has twice a test's time limit.
describe('npm pack', { skip: skipUnless(await registryReachable(), 'the npm registry cannot be reached (npm ping failed)') }, () => {
  let files: string[] = [];
  before(async () => {
    const packed = await exec('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: REPO, timeout: 200_000, maxBuffer: 64 * 1024 * 1024 });
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    files = info.files.map((f) => f.path);
    await exec('mkdir', ['-p', install, data, elsewhere]);
    writeFileSync(join(install, 'package.json'), JSON.stringify({ name: 'stacklab-install-check', private: true }));
    await exec('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', join(scratch, info.filename)], { cwd: install, env: env(), timeout: 220_000, maxBuffer: 64 * 1024 * 1024 });
    // Read-only for everyone; only the data folder may be written, by the user who runs it.
    await exec('chmod', ['-R', 'a-w,a+rX', install]);
    chmodSync(scratch, 0o755);
    if (IS_ROOT) chownSync(data, 65534, 65534);
  });

  test('packs the build, the locales and the sample labs, and no sources', () => {
    for (const needed of ['bin/stacklab.js', 'dist/main.js', 'dist/web/lab-page.js', 'dist/store-seed.tar.gz', 'locales/en.json', 'labs/single-server/lab.yaml']) assert.ok(files.includes(needed), `${needed} is packed`);
    assert.deepEqual(files.filter((f) => /^(src|test|web|bench|scripts)\//.test(f)), [], 'no sources or tests are packed');
  });

  test('the installed stacklab --version prints the version, run read-only by a user who owns none of it', async () => {
    const shown = await exec(bin, ['--version'], { cwd: elsewhere, env: env(), ...runAs });
    assert.equal(shown.stdout.trim(), version);
  });

  test('the installed stacklab validate checks a shipped sample lab against Heat\'s property schemas', async () => {
    // The schemas are bundled into the build; read from beside a source file they would be missing here.
    const checked = await exec(bin, ['validate', join(install, 'node_modules/stacklab/labs/single-server')], { cwd: elsewhere, env: env(), ...runAs });
    assert.match(checked.stdout, /✓ single-server/);
  });

  test('the installed server starts from another folder to /healthz, with the sample labs and the built web assets', async () => {
    const port = await freePort();
    const startedAt = Date.now();
    const server = spawn(bin, ['serve', '--demo'], {
      cwd: elsewhere,
      env: { ...env(), STACKLAB_DATA_DIR: data, PORT: String(port), STACKLAB_PROVIDERS: JSON.stringify([{ name: 'fake', kind: 'fake' }]), STACKLAB_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
      ...runAs,
    });
    let stderr = '';
    server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<void>((done) => server.once('exit', () => done()));
    try {
      const base = `http://127.0.0.1:${port}`;
      await eventually(
        async () => {
          if (server.exitCode !== null) throw new Error(`serve exited ${server.exitCode}: ${stderr}`);
          return (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) || undefined;
        },
        100_000,
        'the installed server to answer /healthz',
      );
      const token = readFileSync(join(data, 'api-token'), 'utf8').trim();
      const labs = (await (await fetch(`${base}/api/v1/labs`, { headers: { authorization: `Bearer ${token}` } })).json()) as { labs: Array<{ id: string }> };
      assert.ok(labs.labs.some((l) => l.id === 'single-server'), `the shipped sample labs are loaded: ${JSON.stringify(labs)}`);
      const asset = await fetch(`${base}/assets/lab-page.js`);
      assert.equal(asset.status, 200, 'the built web assets are served');
      assert.match(asset.headers.get('content-type') ?? '', /javascript/);
    } finally {
      server.kill('SIGTERM');
      await exited;
    }
    // The first start made its store from the packed seed (db/store-seed.ts): every migration was applied
    // when the package was built, before this server was started, and the deployment got an id of its own.
    const store = await openPglite(join(data, 'pglite'));
    try {
      const applied = await store.query<{ version: number; applied_at: Date }>('SELECT version, applied_at FROM schema_migrations');
      assert.equal(applied.length, MIGRATIONS.length);
      assert.ok(applied.every((m) => m.applied_at.getTime() < startedAt), 'migrated when the package was built, not at this start');
      assert.equal((await store.query('SELECT id FROM deployment')).length, 1);
    } finally {
      await store.close();
    }
  });
});
