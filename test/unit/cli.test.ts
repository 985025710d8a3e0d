import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { freshDatabase, postgresAvailable } from '../support/databases.ts';
import { runCli } from '../support/run-cli.ts';

/** Runs the command in a data folder of its own (options first, when given: extra environment). */
const run = (...given: Array<string | { env: Record<string, string> }>) => {
  const extra = typeof given[0] === 'object' ? given.shift() as { env: Record<string, string> } : { env: {} };
  return runCli({ ...process.env, STACKLAB_DATA_DIR: mkdtempSync(join(tmpdir(), 'cli-')), ...extra.env }, given as string[]);
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
  for (const [line, resource, type] of [[6, 'group', 'OS::Heat::AutoScalingGroup'], [12, 'scaleup_policy', 'OS::Heat::ScalingPolicy'], [19, 'cpu_alarm_high', 'OS::Ceilometer::Alarm \\(mapped to OS::Aodh::Alarm by the environment\\)']]) {
    assert.match(lxc.stderr, new RegExp(`template\\.yaml:${line}: resource '${resource}', property 'type': the local runtime \\(lxc\\) cannot run this: type ${type} is not supported`));
  }
  assert.match(lxc.stderr, /note: .*the local runtime \(lxc\) runs these types: OS::Nova::Server/);
  assert.equal((await run('validate', '--provider', 'lxc', `${corpus}/router-lab`)).code, 0);
});

test('stacklab validate --provider lxc lists every part the local runtime cannot run, each at its line, in one run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tpl-'));
  const file = join(dir, 'template.yaml');
  writeFileSync(file, `heat_template_version: 2016-10-14
resources:
  net: { type: OS::Neutron::Net }
  subnet: { type: OS::Neutron::Subnet, properties: { network: { get_resource: net }, cidr: 10.0.0.0/24 } }
  database: { type: OS::Trove::Instance, properties: { flavor: m1.small, size: 1 } }
  server:
    type: OS::Nova::Server
    properties:
      flavor: m1.small
      image: windows-server-2019
      networks: [ { network: private } ]
`);
  const { code, stderr } = await run('validate', '--provider', 'lxc', file);
  assert.equal(code, 1);
  assert.match(stderr, /template\.yaml:5: resource 'database', property 'type': the local runtime \(lxc\) cannot run this: type OS::Trove::Instance/);
  assert.match(stderr, /template\.yaml:10: resource 'server', property 'image': the local runtime \(lxc\) cannot run this: image "windows-server-2019"/);
  assert.match(stderr, /template\.yaml:11: resource 'server', property 'networks\[0\]\.network': the local runtime \(lxc\) cannot run this: network "private"/);
  assert.doesNotMatch(stderr, /first property/);
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

test('stacklab --version prints the version in package.json', async () => {
  const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  const { stdout, code } = await run('--version');
  assert.equal(code, 0);
  assert.equal(stdout.trim(), version);
});

test('listing commands print a table with headers by default, and the same data with -f json and -f yaml', async () => {
  const plain = await run('labs');
  assert.equal(plain.code, 0, plain.stderr);
  const [header, ...rows] = plain.stdout.trimEnd().split('\n');
  assert.match(header, /^ID\s+PROTOCOL\s+TITLE$/);
  const single = rows.find((r) => r.startsWith('single-server'));
  assert.ok(single, plain.stdout);
  assert.equal(single.indexOf('ssh'), header.indexOf('PROTOCOL'), 'the columns line up under their headers');
  const json = JSON.parse((await run('labs', '-f', 'json')).stdout) as { labs: Array<{ id: string }> };
  assert.ok(json.labs.some((l) => l.id === 'single-server'));
  assert.deepEqual(parseYaml((await run('labs', '--format', 'yaml')).stdout), json);
  assert.deepEqual(JSON.parse((await run('labs', '--json')).stdout), json, '--json stays the short form of -f json');
  const bad = await run('labs', '-f', 'xml');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /argument 'xml' is invalid\. Allowed choices are table, json, yaml/);
});

test('stacks launch, list, show, reset and check from the CLI, in every format', async (t) => {
  // A fresh PostgreSQL schema when PostgreSQL runs (each command opens it far quicker); the embedded store otherwise.
  const database = (await postgresAvailable()) ? await freshDatabase('postgres') : undefined;
  t.after(() => database?.drop());
  const env = { STACKLAB_DATA_DIR: mkdtempSync(join(tmpdir(), 'cli-stacks-')), STACKLAB_PROVIDERS: JSON.stringify([{ name: 'fake', kind: 'fake' }]), STACKLAB_LOG_LEVEL: 'silent', DATABASE_URL: database?.url ?? '' };
  const launched = await run({ env }, 'stacks', 'launch', '--lab', 'single-server', '--learner', 'ada', '--context', 'course-1', '-f', 'json');
  assert.equal(launched.code, 0, launched.stderr);
  const stack = JSON.parse(launched.stdout) as { id: string; state: string };
  assert.equal(stack.state, 'LAUNCH_PENDING');

  const list = await run({ env }, 'stacks', 'list');
  const [header, row] = list.stdout.trimEnd().split('\n');
  assert.match(header, /^ID\s+STATE\s+LAB\s+LEARNER\s+CONTEXT\s+PROVIDER\s+ERROR$/);
  assert.match(row, new RegExp(`^${stack.id}\\s+LAUNCH_PENDING\\s+single-server\\s+ada\\s+course-1\\s+-\\s+-$`));
  const asYaml = parseYaml((await run({ env }, 'stacks', 'list', '-f', 'yaml')).stdout) as Array<{ id: string }>;
  assert.deepEqual(asYaml.map((s) => s.id), [stack.id]);

  const show = await run({ env }, 'stacks', 'show', stack.id);
  assert.match(show.stdout, /^FIELD\s+VALUE\n/);
  assert.match(show.stdout, new RegExp(`\\nstate\\s+LAUNCH_PENDING\\n`));
  assert.match(show.stdout, /\nHISTORY\nAT\s+FROM\s+TO\s+ACTOR\s+REASON\n\S+\s+-\s+LAUNCH_PENDING\s+cli\s/);

  const unconfirmed = await run({ env }, 'stacks', 'reset', stack.id);
  assert.equal(unconfirmed.code, 1);
  assert.match(unconfirmed.stderr, /reset deletes every server of stack .* run it again with --yes to confirm/);
  assert.equal((JSON.parse((await run({ env }, 'stacks', 'show', stack.id, '-f', 'json')).stdout) as { state: string }).state, 'LAUNCH_PENDING', 'an unconfirmed reset changes nothing');
  const reset = await run({ env }, 'stacks', 'reset', stack.id, '--yes', '-f', 'yaml');
  assert.equal(reset.code, 0, reset.stderr);
  assert.equal((parseYaml(reset.stdout) as { state: string }).state, 'DELETE_PENDING');

  const check = await run({ env }, 'stacks', 'check', stack.id);
  assert.equal(check.code, 1);
  assert.match(check.stderr, /The lab environment is not running: launch it again, then check your progress\. \(check on stack \w+ in state DELETE_PENDING\)/);
});
