/**
 * The container image (scripts/build-image.sh) against a real PostgreSQL: it answers /healthz, lists a
 * lab to the operator's token (and to no one else), serves the LTI tool's JWKS with public keys only,
 * runs as the unprivileged stacklab user, writes nothing into its install folder and stops cleanly on SIGTERM.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { skipUnless } from '../support/prerequisite.ts';
import { freePort, freshDatabase, IMAGE, imageMissing, podman, token, waitForOk } from './support.ts';

const missing = await imageMissing();

describe('image: stacklab in its container, on PostgreSQL', { skip: skipUnless(missing === null, missing ?? ''), concurrency: false }, () => {
  const name = `stacklab-image-smoke-${process.pid}`;
  const apiToken = token();
  let base = '';
  let db: Awaited<ReturnType<typeof freshDatabase>>;

  before(async () => {
    db = await freshDatabase(`smoke_${process.pid}`);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // Host network: the container reaches the machine's PostgreSQL at 127.0.0.1 as an operator's would.
    // A fake provider lets the sample labs load without a cloud (they name none, so they take every one).
    await podman(['run', '-d', '--name', name, '--network', 'host',
      '-e', `DATABASE_URL=${db.url}`, '-e', `PORT=${port}`, '-e', 'STACKLAB_HOST=127.0.0.1',
      '-e', `STACKLAB_API_TOKEN=${apiToken}`, '-e', 'STACKLAB_PROVIDERS=[{"name":"smoke","kind":"fake"}]',
      IMAGE, 'serve']);
    await waitForOk(`${base}/healthz`, 90_000, name);
  });

  after(async () => {
    await podman(['rm', '-f', '-v', '-t', '2', name]).catch(() => undefined);
    await db?.drop();
  });

  test('/healthz answers', async () => {
    const res = await fetch(`${base}/healthz`);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  test('the sample labs are listed to the operator token, and to nobody without it', async () => {
    const res = await fetch(`${base}/api/v1/labs`, { headers: { authorization: `Bearer ${apiToken}` } });
    assert.equal(res.status, 200);
    const { labs } = (await res.json()) as { labs: { id: string; providers: { name: string }[] }[] };
    const lab = labs.find((l) => l.id === 'single-server');
    assert.ok(lab, `single-server is listed; got ${labs.map((l) => l.id).join(', ') || 'none'}`);
    assert.deepEqual(lab.providers.map((p) => p.name), ['smoke']);
    assert.equal((await fetch(`${base}/api/v1/labs`)).status, 401);
  });

  test('the LTI JWKS is served, with public keys only', async () => {
    const res = await fetch(`${base}/.well-known/jwks.json`);
    assert.equal(res.status, 200);
    const { keys } = (await res.json()) as { keys: Record<string, string>[] };
    assert.ok(keys.length >= 1);
    for (const key of keys) {
      assert.equal(key.kty, 'RSA');
      assert.ok(key.kid && key.n && key.e, 'kid, n and e');
      assert.equal(key.d, undefined, 'no private part');
    }
  });

  test('the server runs as the stacklab user and writes nothing into /opt/stacklab', async () => {
    assert.equal((await podman(['exec', name, 'id', '-un'])).trim(), 'stacklab');
    const pid1 = (await podman(['top', name, 'user', 'args'])).split('\n').filter((l) => l.includes('stacklab.js'));
    assert.ok(pid1.length > 0 && pid1.every((l) => /^stacklab\s/.test(l.trim())), `node runs as stacklab: ${pid1.join(' | ')}`);
    const changed = (await podman(['diff', '--format', '{{.Path}}', name]).catch(() => podman(['diff', name]))).split('\n').filter((l) => l.includes('/opt/stacklab'));
    assert.deepEqual(changed, [], 'the install folder is left as built');
  });

  // Last: it stops the server. tini passes podman's SIGTERM on; a node that never got it would be killed
  // after the 20 s and exit 137.
  test('it stops on SIGTERM, at once and cleanly', async () => {
    const started = Date.now();
    await podman(['stop', '-t', '20', name], 30_000);
    assert.equal((await podman(['inspect', '--format', '{{.State.ExitCode}}', name])).trim(), '0');
    assert.ok(Date.now() - started < 10_000, `stopped in ${Date.now() - started} ms`);
  });
});
