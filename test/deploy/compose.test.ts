/**
 * deploy/compose.yaml brought up by podman-compose (Debian's): PostgreSQL (Debian's, built by
 * `scripts/build-image.sh --postgres`, as no other registry is reachable here), `serve --no-worker` on
 * a published port and a standalone worker. serve answers /healthz, is ready on the store (/readyz),
 * lists the labs to the operator's token, and the worker starts against the same database.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { eventually } from '../support/eventually.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { freePort, imageMissing, imageNotBuilt, podman, token, waitForOk, withPodman } from './support.ts';

const POSTGRES_IMAGE = 'localhost/stacklab-postgres:latest';

async function composeMissing(): Promise<string | null> {
  const image = await imageMissing();
  if (image) return image;
  try {
    await withPodman('podman-compose', ['version']);
  } catch {
    return 'podman-compose is not installed (apt-get install podman-compose)';
  }
  return imageNotBuilt(POSTGRES_IMAGE, 'scripts/build-image.sh --postgres');
}

const missing = await composeMissing();

describe('compose: stacklab, a worker and PostgreSQL', { skip: skipUnless(missing === null, missing ?? ''), concurrency: false }, () => {
  const project = `stacklabimage${process.pid}`;
  const apiToken = token();
  let env: NodeJS.ProcessEnv = {};
  let base = '';
  const compose = (args: string[], timeoutMs = 120_000) =>
    withPodman('podman-compose', ['-f', 'deploy/compose.yaml', '-p', project, ...args], { env, timeoutMs });
  const logsOf = (service: string) => withPodman('sh', ['-c', 'podman logs "$0" 2>&1', `${project}_${service}_1`]);

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = {
      POSTGRES_PASSWORD: token(),
      STACKLAB_SECRET_KEY: randomBytes(32).toString('base64'),
      STACKLAB_API_TOKEN: apiToken,
      STACKLAB_PORT: String(port),
      STACKLAB_PUBLIC_URL: base,
      STACKLAB_POSTGRES_IMAGE: POSTGRES_IMAGE,
      STACKLAB_PROVIDERS: '[{"name":"compose","kind":"fake"}]',
    };
    await compose(['up', '-d']);
    await waitForOk(`${base}/healthz`, 150_000, `${project}_stacklab_1`);
  });

  after(async () => {
    // podman-compose 1.0.3's `down -v` keeps the anonymous volumes (the image's data VOLUME): note them first.
    const containers = ['postgres', 'stacklab', 'worker'].map((s) => `${project}_${s}_1`);
    const volumes = (await podman(['inspect', '--format', '{{range .Mounts}}{{.Name}} {{end}}', ...containers]).catch(() => '')).split(/\s+/).filter(Boolean);
    await compose(['down', '-v', '-t', '2']).catch(() => undefined);
    if (volumes.length) await podman(['volume', 'rm', '-f', ...volumes]).catch(() => undefined);
    await podman(['volume', 'rm', '-f', `${project}_postgres`]).catch(() => undefined);
    await podman(['network', 'rm', '-f', `${project}_default`]).catch(() => undefined);
  });

  test('serve answers on the published port and is ready on the store', async () => {
    const ready = await waitForOk(`${base}/readyz`, 60_000, `${project}_stacklab_1`);
    const body = (await ready.json()) as { status: string };
    assert.equal(body.status, 'ready');
  });

  test('the labs are listed to the operator token', async () => {
    const res = await fetch(`${base}/api/v1/labs`, { headers: { authorization: `Bearer ${apiToken}` } });
    assert.equal(res.status, 200);
    const { labs } = (await res.json()) as { labs: { id: string }[] };
    assert.ok(labs.some((l) => l.id === 'single-server'), `single-server listed; got ${labs.map((l) => l.id).join(', ') || 'none'}`);
  });

  test('the worker starts against the same PostgreSQL, and serve runs no worker of its own', async () => {
    await eventually(async () => ((await logsOf('worker').catch(() => '')).includes('worker started') ? true : undefined), 90_000, 'the worker to start');
    const serveLogs = await logsOf('stacklab');
    assert.ok(!serveLogs.includes('worker started'), 'serve --no-worker');
    const deployment = (logs: string) => /"deployment":"([a-z0-9]+)"/.exec(logs)?.[1];
    assert.equal(deployment(await logsOf('worker')), deployment(serveLogs), 'one store, one deployment id');
  });
});
