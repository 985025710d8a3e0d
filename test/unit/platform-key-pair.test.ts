import assert from 'node:assert/strict';
import { test } from 'node:test';
import ssh2 from 'ssh2';
import { launchParameters } from '../../src/services/operations.ts';
import { fillPlatformKeyPool, makePlatformKeyPair, pooledPlatformKeyPairs, takePlatformKeyPair, wantsPlatformKeyPair } from '../../src/services/platform-key-pair.ts';

const WITH_KEY = `heat_template_version: 2016-10-14
parameters:
  run: { type: string, default: '' }
  stacklab_public_key: { type: string, default: '' }
  stacklab_private_key: { type: string, default: '', hidden: true }
resources: {}
`;
const HASTEXO = `heat_template_version: 2016-10-14
parameters:
  run: { type: string, default: '' }
resources: {}
`;

test('the platform key pair is an RSA OpenSSH pair whose halves belong together', async () => {
  const pair = await makePlatformKeyPair('stacklab-abc-1');
  assert.match(pair.publicKey, /^ssh-rsa AAAA\S+ stacklab-abc-1$/);
  const parsed = ssh2.utils.parseKey(pair.privateKey);
  assert.ok(!(parsed instanceof Error));
  const key = Array.isArray(parsed) ? parsed[0]! : parsed;
  assert.equal(key.getPublicSSH().toString('base64'), pair.publicKey.split(' ')[1]);
});

test('only a template that declares stacklab_public_key is given the key pair', async () => {
  const pair = await makePlatformKeyPair('x');
  assert.equal(wantsPlatformKeyPair(['run', 'stacklab_public_key']), true);
  assert.equal(wantsPlatformKeyPair(['run']), false);
  const stack = { run: 'course-run', learner: 'alice' };
  assert.deepEqual(launchParameters(WITH_KEY, { flavor: 'm1.small' }, stack, pair), {
    flavor: 'm1.small',
    run: 'course-run',
    stacklab_public_key: pair.publicKey,
    stacklab_private_key: pair.privateKey,
  });
  // hastexo's templates declare neither: Heat refuses undeclared parameters, so none is sent.
  assert.deepEqual(launchParameters(HASTEXO, {}, stack, pair), { run: 'course-run' });
});

test('pairs taken from the pool are distinct, named after their stack, and their halves belong together', async () => {
  await fillPlatformKeyPool();
  assert.equal(pooledPlatformKeyPairs(), 3);
  // Each take picks its pair as it is called, so these three come from the full pool.
  const pairs = await Promise.all([2, 3, 4].map((n) => takePlatformKeyPair(`stacklab-abc-${n}`)));
  assert.equal(new Set(pairs.map((p) => p.privateKey)).size, 3, 'no pair is handed out twice');
  pairs.forEach((pair, i) => {
    assert.match(pair.publicKey, new RegExp(`^ssh-rsa AAAA\\S+ stacklab-abc-${i + 2}$`));
    const parsed = ssh2.utils.parseKey(pair.privateKey);
    assert.ok(!(parsed instanceof Error));
    const key = Array.isArray(parsed) ? parsed[0]! : parsed;
    assert.equal(key.getPublicSSH().toString('base64'), pair.publicKey.split(' ')[1]);
  });
  await fillPlatformKeyPool();
  assert.equal(pooledPlatformKeyPairs(), 3, 'the pool refills behind the takes');
});
