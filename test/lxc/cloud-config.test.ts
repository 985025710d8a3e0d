/** The cloud-init subset, checked on the scripts and files it produces (no containers needed). */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { guestSetup } from '../../src/providers/lxc/cloud-config.ts';

const base = { hostname: 'web1', routes: [{ destination: '10.0.3.0/24', nexthop: '10.0.1.1' }], metadata: { role: 'web' }, name: 'web1' };
const file = (s: ReturnType<typeof guestSetup>, path: string) => {
  const f = s.files.find((x) => x.path === path);
  assert.ok(f, `${path} not written; files: ${s.files.map((x) => x.path).join(', ')}`);
  return String(f.content);
};

test('users with keys, sudo and groups; the default user gets key_name', () => {
  const s = guestSetup({
    ...base,
    rootKey: 'ssh-rsa ROOTKEY',
    userData: `#cloud-config
users:
  - default
  - name: training
    sudo: ALL=(ALL) NOPASSWD:ALL
    groups: [adm, docker]
    ssh_authorized_keys: [ 'ssh-rsa TRAININGKEY' ]
`,
  });
  assert.deepEqual(s.accounts.map((a) => [a.name, a.groups, a.keys]), [
    ['debian', ['sudo'], ['ssh-rsa ROOTKEY']],
    ['training', ['adm', 'docker'], ['ssh-rsa TRAININGKEY']],
  ]);
  assert.equal(file(s, '/etc/sudoers.d/90-stacklab-training'), 'training ALL=(ALL) NOPASSWD:ALL\n');
  assert.equal(file(s, '/root/.ssh/authorized_keys'), 'ssh-rsa ROOTKEY\n');
  assert.match(file(s, '/etc/stacklab/init.sh'), /ip route replace '10\.0\.3\.0\/24' via '10\.0\.1\.1'/);
  assert.deepEqual(s.ignored, []);
});

test('write_files (plain, base64, gzip+base64, append) and runcmd run in a real shell in the right order', () => {
  const s = guestSetup({
    ...base,
    userData: `#cloud-config
bootcmd: [ "echo boot >> $ROOT/order" ]
write_files:
  - { path: /plain.txt, content: "hello\\n", permissions: '0600' }
  - { path: /b64.txt, encoding: b64, content: ${Buffer.from('from base64').toString('base64')} }
  - { path: /gz.txt, encoding: gz+b64, content: ${gzipSync(Buffer.from('from gzip')).toString('base64')} }
  - { path: /plain.txt, content: "more\\n", append: true }
runcmd:
  - echo run >> $ROOT/order
  - [ sh, -c, "echo 'quoted arg' >> $ROOT/order" ]
packages: [ nginx ]
`,
  });
  assert.deepEqual(s.ignored, ['packages']);
  // Run the generated scripts against a scratch root: paths are rewritten to stay inside it.
  const root = mkdtempSync(join(tmpdir(), 'sl-cc-'));
  try {
    for (const f of s.files) {
      const p = join(root, f.path);
      execFileSync('mkdir', ['-p', join(p, '..')]);
      writeFileSync(p, f.content);
    }
    const rewrite = (sh: string) => sh.replace(/'\/etc\/stacklab\//g, `'${root}/etc/stacklab/`).replace(/'\/(plain|b64|gz)\.txt'/g, `'${root}/$1.txt'`).replace(/chown [^;\n]*;?/g, 'true;').replace(/^ip route .*$/gm, '');
    writeFileSync(join(root, 'init.sh'), rewrite(file(s, '/etc/stacklab/init.sh')));
    writeFileSync(join(root, 'runcmd'), file(s, '/etc/stacklab/runcmd'));
    execFileSync('sh', [join(root, 'init.sh')], { env: { ...process.env, ROOT: root } });
    execFileSync('sh', [join(root, 'runcmd')], { env: { ...process.env, ROOT: root } });
    assert.equal(readFileSync(join(root, 'plain.txt'), 'utf8'), 'hello\nmore\n');
    assert.equal(readFileSync(join(root, 'b64.txt'), 'utf8'), 'from base64');
    assert.equal(readFileSync(join(root, 'gz.txt'), 'utf8'), 'from gzip');
    assert.equal(readFileSync(join(root, 'order'), 'utf8'), 'boot\nrun\nquoted arg\n');
    assert.match(file(s, '/etc/stacklab/final.sh'), /\/etc\/stacklab\/runcmd/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('chpasswd, password auth and a user_data script', () => {
  const cc = guestSetup({ ...base, userData: '#cloud-config\nssh_pwauth: true\nchpasswd: { expire: false, list: "training:secret1" }\n' });
  assert.equal(file(cc, '/etc/ssh/sshd_config.d/50-cloud-init.conf'), 'PasswordAuthentication yes\n');
  assert.match(file(cc, '/etc/stacklab/init.sh'), /echo 'training:secret1' \| chpasswd\n/);
  assert.doesNotMatch(file(cc, '/etc/stacklab/init.sh'), /--expire/);
  const script = guestSetup({ ...base, userData: '#!/bin/bash\necho hi\n' });
  assert.equal(file(script, '/etc/stacklab/user-script'), '#!/bin/bash\necho hi\n');
  assert.match(file(script, '/etc/stacklab/final.sh'), /\/etc\/stacklab\/user-script/);
});
