import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = async (...args: string[]) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['bin/stacklab.js', ...args], { env: { ...process.env, STACKLAB_DATA_DIR: mkdtempSync(join(tmpdir(), 'cli-')) } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

test('stacklab --help lists the commands', async () => {
  const { stdout } = await run('--help');
  for (const c of ['serve', 'worker', 'validate', 'labs', 'stacks', 'migrate', 'store', 'operator', 'image', 'test', 'lti']) assert.match(stdout, new RegExp(`\\b${c}\\b`));
});

test('stacklab validate accepts the sample labs and refuses a broken template with resource, property and line', async () => {
  assert.equal((await run('validate', 'labs/ten-servers')).code, 0);
  const dir = mkdtempSync(join(tmpdir(), 'tpl-'));
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'heat_template_version: 2016-10-14\nresources:\n  server:\n    type: OS::Nova::Server\n    properties:\n      flavor: { get_param: missing }\n');
  const bad = await run('validate', file);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /bad\.yaml:6: resource 'server'.*property 'flavor'/);
});

test('stacklab validate reads a lab\'s files from its folder, and --provider lxc names what the local runtime cannot run', async () => {
  const corpus = 'test/fixtures/templates/corpus';
  const ok = await run('validate', `${corpus}/software-config`);
  assert.equal(ok.code, 0, ok.stderr);
  const misspelt = await run('validate', `${corpus}/misspelt-subnet`);
  assert.equal(misspelt.code, 1);
  assert.match(misspelt.stderr, /misspelt-subnet\/template\.yaml:11: resource 'subnet', property 'dns_nameserver': Unknown Property dns_nameserver\. Did you mean dns_nameservers\?/);
  const lxc = await run('validate', '--provider', 'lxc', `${corpus}/ceilometer-alarm`);
  assert.equal(lxc.code, 1);
  for (const [line, resource, type] of [[6, 'group', 'OS::Heat::AutoScalingGroup'], [12, 'scaleup_policy', 'OS::Heat::ScalingPolicy'], [19, 'cpu_alarm_high', 'OS::Ceilometer::Alarm']]) {
    assert.match(lxc.stderr, new RegExp(`template\\.yaml:${line}: resource '${resource}', property 'type': the local runtime \\(lxc\\) cannot run this: type ${type} is not supported`));
  }
  assert.match(lxc.stderr, /note: .*the local runtime \(lxc\) runs these types: OS::Nova::Server/);
  assert.equal((await run('validate', '--provider', 'lxc', `${corpus}/router-lab`)).code, 0);
});

test('stacklab labs lists the sample labs', async () => {
  const { stdout, code } = await run('labs');
  assert.equal(code, 0);
  assert.match(stdout, /single-server/);
});

test('stacklab stacks list and show read the store, and refuse what they cannot do', async () => {
  const list = await run('stacks', 'list', '--json');
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(JSON.parse(list.stdout), []);
  const bad = await run('stacks', 'list', '--state', 'BOGUS');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /unknown state BOGUS/);
  const missing = await run('stacks', 'show', 'no-such-stack');
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /no stack with this id/);
});
