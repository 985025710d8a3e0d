/**
 * OS::Heat::SoftwareConfig with OS::Heat::SoftwareDeployment(s) on the local runtime: the config runs
 * in the server as Heat's script hook runs it (inputs as environment variables, declared outputs
 * read back from `$heat_outputs_path.<name>`), and what it gives back is read by the stack's outputs
 * and by a deployment after it; a failing script fails the launch with Heat's reason and the end of
 * its stderr; deployments whose `actions` list SUSPEND and RESUME run then; and
 * `stacklab validate --provider lxc` accepts such a template.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { DeploymentError, deploymentEnvironment, envValue, failureOf, runDeployments } from '../../src/providers/lxc/deployments.ts';
import type { DeploymentPlan } from '../../src/providers/lxc/plan.ts';
import { validateForLxc } from '../../src/providers/lxc/validate.ts';
import { eventually } from '../support/eventually.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { planTemplate } from './support-plan.ts';
import { LXC_HOME, REPO, leftovers, lxcMissing, stackState, testProvider, uniqueName, waitFor } from './support.ts';

/**
 * Style: openstack/heat-templates, hot/software-config/example-templates/example-script-template.yaml
 * (a `group: script` config with inputs and a `result`-like output written to $heat_outputs_path,
 * deployed twice, one deployment with SUSPEND and RESUME in its actions, the deploy_* attributes as
 * stack outputs) and example-software-deploymentgroup-template.yaml (a deployment group over a
 * `servers` map). Here the second deployment is given the first one's output.
 */
const TEMPLATE = `heat_template_version: 2018-08-31
description: A greeting written by one deployment and measured by the next.
parameters:
  image: { type: string, default: debian-12 }
  flavor: { type: string, default: m1.tiny }
resources:
  net: { type: OS::Neutron::Net }
  subnet: { type: OS::Neutron::Subnet, properties: { network: { get_resource: net }, cidr: 10.0.0.0/24 } }
  server:
    type: OS::Nova::Server
    properties:
      name: web
      image: { get_param: image }
      flavor: { get_param: flavor }
      networks: [ { network: { get_resource: net } } ]
      user_data_format: SOFTWARE_CONFIG
      user_data: |
        #!/bin/sh
        sleep 1
        touch /root/boot-done

  greet_config:
    type: OS::Heat::SoftwareConfig
    properties:
      group: script
      inputs:
      - name: greeting
        default: hello
      - name: target
      outputs:
      - name: line
      config: |
        #!/bin/sh
        echo "start greet" >> /root/order.log
        echo "writing /root/$target"
        [ -e /root/boot-done ] && echo "after the user_data"
        printf '%s\\n' "$greeting" > "/root/$target"
        printf '%s from %s during %s' "$(cat "/root/$target")" "$(hostname)" "$deploy_action" > "$heat_outputs_path.line"
        echo "wrote /root/$target in $(pwd)" >&2
        sleep 0.5
        echo "end greet" >> /root/order.log

  greet:
    type: OS::Heat::SoftwareDeployment
    properties:
      config: { get_resource: greet_config }
      server: { get_resource: server }
      input_values:
        target: greeting.txt

  measure_config:
    type: OS::Heat::SoftwareConfig
    properties:
      group: ungrouped
      inputs:
      - name: numbers
        type: Json
      outputs:
      - name: length
      - name: never_written
      config: |
        #!/bin/sh
        printf '%s' "$line" > /root/received
        printf '%s' "\${#line}" > "$heat_outputs_path.length"
        echo "$numbers|$deploy_resource_name|$deploy_signal_transport"

  measure:
    type: OS::Heat::SoftwareDeployments
    properties:
      config: { get_resource: measure_config }
      servers: { web: { get_resource: server } }
      signal_transport: HEAT_SIGNAL
      input_values:
        line: { get_attr: [ greet, line ] }
        numbers: [ 1, { two: 2 } ]

  lifecycle_config:
    type: OS::Heat::SoftwareConfig
    properties:
      config: |
        #!/bin/sh
        echo "$deploy_action" >> /root/lifecycle.log

  lifecycle:
    type: OS::Heat::SoftwareDeployment
    properties:
      config: { get_resource: lifecycle_config }
      server: { get_resource: server }
      actions: [ SUSPEND, RESUME ]

  quiet_config:
    type: OS::Heat::SoftwareConfig
    properties:
      group: script
      outputs: [ { name: said } ]
      config: |
        #!/bin/sh
        echo "start quiet" >> /root/order.log
        printf quiet > "$heat_outputs_path.said"
        sleep 0.5
        echo "end quiet" >> /root/order.log
        touch /root/quiet-done

  quiet:
    type: OS::Heat::SoftwareDeployment
    properties: { config: { get_resource: quiet_config }, server: { get_resource: server }, signal_transport: NO_SIGNAL }

outputs:
  line: { value: { get_attr: [ greet, line ] } }
  quiet_said: { value: { get_attr: [ quiet, said ] } }
  stdout: { value: { get_attr: [ greet, deploy_stdout ] } }
  stderr: { value: { get_attr: [ greet, deploy_stderr ] } }
  status_code: { value: { get_attr: [ greet, deploy_status_code ] } }
  lengths: { value: { get_attr: [ measure, length ] } }
  never_written: { value: { get_attr: [ measure, never_written ] } }
  measure_stdouts: { value: { get_attr: [ measure, deploy_stdouts ] } }
  lifecycle_status: { value: { get_attr: [ lifecycle, deploy_status_code ] } }
`;

/** A script that fails the way an install step fails: some output, an error on stderr, a non-zero exit. */
const FAILING = `heat_template_version: 2018-08-31
resources:
  net: { type: OS::Neutron::Net }
  subnet: { type: OS::Neutron::Subnet, properties: { network: { get_resource: net }, cidr: 10.0.0.0/24 } }
  server:
    type: OS::Nova::Server
    properties: { image: debian-12, flavor: m1.tiny, networks: [ { network: { get_resource: net } } ], user_data_format: SOFTWARE_CONFIG }
  install_config:
    type: OS::Heat::SoftwareConfig
    properties:
      group: script
      config: |
        #!/bin/sh
        echo "installing packages"
        echo "E: Unable to locate package no-such-package" >&2
        exit 100
  install:
    type: OS::Heat::SoftwareDeployment
    properties: { config: { get_resource: install_config }, server: { get_resource: server } }
`;

/** A deployment that takes ten minutes, for a delete that must not wait for it. */
const SLOW = FAILING.replace(/config: \|\n(?: {8}.*\n)+/, 'config: |\n        #!/bin/sh\n        touch /root/started\n        sleep 600\n');

const deploymentOf = (over: Partial<DeploymentPlan> = {}): DeploymentPlan => ({
  resource: 'd', owner: 'd', name: 'd', id: 'id', server: 'server', serverId: 'sid', container: 'c', config: '', declaredInputs: [],
  inputs: {}, outputs: [], actions: ['CREATE', 'UPDATE'], signalTransport: 'CFN_SIGNAL', after: [], ...over,
});

describe('lxc planner: software deployments', () => {
  test('deployments are planned with their config, inputs and order, and their attributes read null until they run', () => {
    const { plan, outputs, deploymentInputs } = planTemplate(TEMPLATE);
    const byResource = Object.fromEntries((plan.deployments ?? []).map((d) => [d.resource, d]));
    assert.deepEqual(Object.keys(byResource).sort(), ['greet', 'lifecycle', 'measure.web', 'quiet']);
    assert.deepEqual(byResource.greet.declaredInputs, [{ name: 'greeting', type: 'String', default: 'hello' }, { name: 'target', type: 'String' }]);
    assert.deepEqual(byResource['measure.web'].after, ['greet']);
    assert.equal(byResource['measure.web'].name, 'web');
    assert.equal(byResource['measure.web'].signalTransport, 'HEAT_SIGNAL');
    assert.deepEqual(byResource.lifecycle.actions, ['SUSPEND', 'RESUME']);
    assert.equal(byResource.greet.container, plan.servers[0].container);
    assert.equal(outputs({}).line, null);
    // The second deployment's input is the first's output: resolved again once the first has run.
    const results = { greet: { line: 'hi from web during CREATE', deploy_stdout: 'out', deploy_stderr: '', deploy_status_code: 0 } };
    assert.deepEqual(deploymentInputs(byResource['measure.web'], results), { line: 'hi from web during CREATE', numbers: [1, { two: 2 }] });
    const out = outputs({}, { ...results, 'measure.web': { length: '25', deploy_stdout: 'x\n', deploy_stderr: '', deploy_status_code: 0 } });
    assert.equal(out.line, 'hi from web during CREATE');
    assert.deepEqual(out.lengths, { web: '25' });
    assert.deepEqual(out.never_written, { web: null });
    assert.deepEqual(out.measure_stdouts, { web: 'x\n' });
    assert.equal(out.lifecycle_status, null);
  });

  test('a deployment group over a ResourceGroup\'s servers (refs_map), and a ResourceGroup of deployments', () => {
    const { plan, outputs } = planTemplate(`heat_template_version: 2018-08-31
resources:
  net: { type: OS::Neutron::Net }
  subnet: { type: OS::Neutron::Subnet, properties: { network: { get_resource: net }, cidr: 10.0.0.0/24 } }
  nodes:
    type: OS::Heat::ResourceGroup
    properties:
      count: 2
      resource_def:
        type: OS::Nova::Server
        properties: { name: node-%index%, image: debian-12, flavor: m1.tiny, networks: [ { network: { get_resource: net } } ], user_data_format: SOFTWARE_CONFIG }
  config: { type: OS::Heat::SoftwareConfig, properties: { group: script, outputs: [ { name: ip } ], config: "#!/bin/sh" } }
  all:
    type: OS::Heat::SoftwareDeploymentGroup
    properties: { config: { get_resource: config }, servers: { get_attr: [ nodes, refs_map ] } }
  each:
    type: OS::Heat::ResourceGroup
    properties:
      count: 2
      resource_def: { type: OS::Heat::SoftwareDeployment, properties: { config: { get_resource: config }, server: { get_attr: [ nodes, resource.1 ] } } }
outputs:
  ips: { value: { get_attr: [ all, ip ] } }
  each: { value: { get_attr: [ each, ip ] } }
`);
    assert.deepEqual(plan.deployments!.map((d) => [d.resource, d.name, d.server, d.container]), [
      ['all.0', '0', 'nodes.0', plan.servers[0].container],
      ['all.1', '1', 'nodes.1', plan.servers[1].container],
      ['each.0', '0', 'nodes.1', plan.servers[1].container],
      ['each.1', '1', 'nodes.1', plan.servers[1].container],
    ]);
    assert.deepEqual(outputs({}, { 'all.0': { ip: 'a' }, 'all.1': { ip: 'b' }, 'each.1': { ip: 'e1' } }), { ips: { 0: 'a', 1: 'b' }, each: [null, 'e1'] });
  });

  test('what the local runtime cannot run in a deployment is refused, naming the resource and why', () => {
    const swap = (from: string, to: string) => validateForLxc(TEMPLATE.replace(from, to)).map((p) => `${p.resource}/${p.property}: ${p.message}`).join('\n');
    assert.match(swap('      group: script\n      inputs:', '      group: ansible\n      inputs:'), /greet\/config: config greet_config has group "ansible": the local runtime runs configs of group script/);
    assert.match(swap('user_data_format: SOFTWARE_CONFIG', 'user_data_format: RAW'), /greet\/server: Resource server's property user_data_format should be set to SOFTWARE_CONFIG/);
    assert.match(swap('\noutputs:\n', '\n  salted: { type: OS::Heat::RandomString, properties: { salt: { get_attr: [ greet, line ] } } }\noutputs:\n'), /salted\/\w+: reads line of software deployment greet, which the local runtime knows only after the deployment has run/);
    assert.match(swap('      config: { get_resource: greet_config }', '      config: { get_resource: subnet }'), /greet\/config: config subnet is a OS::Neutron::Subnet/);
  });

  test('the script gets its inputs as Heat\'s hook gives them, and a failure is said as Heat says it', () => {
    const d = deploymentOf({ declaredInputs: [{ name: 'a', type: 'String', default: 'x' }, { name: 'n', type: 'Json' }], name: 'member' });
    const env = deploymentEnvironment(d, { n: { k: ['é', 1] }, flag: true, 'not-a-name': 'v', quote: "it's" }, 'CREATE', 'stack/id');
    assert.deepEqual(env.lines, [
      "a='x'", `n='{"k": ["\\u00e9", 1]}'`, "flag='True'", "quote='it'\\''s'",
      "deploy_server_id='sid'", "deploy_action='CREATE'", "deploy_stack_id='stack/id'", "deploy_resource_name='member'", "deploy_signal_transport='CFN_SIGNAL'",
    ]);
    assert.deepEqual(env.skipped, ['not-a-name']);
    assert.equal(envValue(null, 'String'), 'None');
    assert.equal(envValue(3, 'Number'), '3');
    assert.equal(failureOf(d, { deploy_status_code: 0 }), null);
    assert.equal(failureOf(d, { deploy_status_code: 2 }), 'deploy_status_code : Deployment exited with non-zero status code: 2');
    const withError = deploymentOf({ outputs: [{ name: 'err', errorOutput: true }, { name: 'ok', errorOutput: false }] });
    assert.equal(failureOf(withError, { deploy_status_code: 0, ok: 'fine' }), null);
    assert.equal(failureOf(withError, { deploy_status_code: 1, err: 'bad input' }), 'deploy_status_code : Deployment exited with non-zero status code: 1, err : bad input');
  });

  test('a deployment whose inputs cannot be resolved from those before it fails with why; one not listing the action does not run', async () => {
    const ctx = {
      containersDir: '/nonexistent', action: 'CREATE', stackPath: 's/s', deadline: Date.now() + 10_000, signal: new AbortController().signal,
      log: { warn: () => {} }, stackName: 's',
    };
    const broken = deploymentOf({ resource: 'second', owner: 'second', after: ['first'] });
    await assert.rejects(
      runDeployments({ ...ctx, deployments: [broken], inputsOf: () => { throw new Error('str_replace: "params" must be a map'); } }),
      (err: DeploymentError) => err instanceof DeploymentError && /^Software deployment second: its input values could not be resolved .*str_replace/.test(err.userMessage) && /^resources\.second: input_values/.test(err.message),
    );
    assert.deepEqual(await runDeployments({ ...ctx, deployments: [deploymentOf({ actions: ['SUSPEND'] })], inputsOf: () => assert.fail('not asked') }), {});
  });

  test('stacklab validate --provider lxc accepts a template with software deployments', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swdeploy-'));
    writeFileSync(join(dir, 'template.yaml'), TEMPLATE);
    const env = { ...process.env, STACKLAB_DATA_DIR: mkdtempSync(join(tmpdir(), 'cli-')) };
    const r = await promisify(execFile)(process.execPath, ['bin/stacklab.js', 'validate', '--provider', 'lxc', join(dir, 'template.yaml')], { cwd: REPO, env }).catch((e: { code: number; stderr: string }) => e);
    assert.equal('code' in r ? r.code : 0, 0, r.stderr);
  });
});

const missing = await lxcMissing();

describe('lxc: software deployments in a real server', { skip: skipUnless(missing === null, missing ?? ''), concurrency: true }, () => {
  const provider = testProvider();
  const name = uniqueName('swd');
  const failing = uniqueName('swf');
  const ref = { id: name, name };
  const failingRef = { id: failing, name: failing };
  const slow = uniqueName('sws');
  const slowRef = { id: slow, name: slow };
  const inServer = (cmd: string, stack = name) => execFileSync('lxc-attach', ['-P', join(LXC_HOME, 'containers'), '-n', stackState(stack).plan.servers[0].container, '--', '/bin/sh', '-c', cmd], { encoding: 'utf8' });

  after(async () => {
    await provider.delete(ref).catch(() => {});
    await provider.delete(failingRef).catch(() => {});
    await provider.delete(slowRef).catch(() => {});
  });

  test('the configs ran in the server, their outputs are the stack\'s and fed the next deployment; suspend and resume run theirs', async () => {
    await provider.create({ name, template: TEMPLATE, parameters: {}, timeoutSeconds: 180 });
    const done = await waitFor(provider, ref, 'CREATE', 180_000);
    assert.equal(done.status, 'COMPLETE', done.reason);
    const line = 'hello from web during CREATE';
    assert.equal(done.outputs.line, line);
    // The user_data script had run (it takes a second) before the deployment did.
    assert.equal(done.outputs.stdout, 'writing /root/greeting.txt\nafter the user_data\n');
    assert.equal(done.outputs.stderr, 'wrote /root/greeting.txt in /var/lib/heat-config/heat-config-script\n');
    assert.equal(done.outputs.status_code, 0);
    assert.deepEqual(done.outputs.lengths, { web: String(line.length) });
    assert.deepEqual(done.outputs.never_written, { web: null });
    assert.deepEqual(done.outputs.measure_stdouts, { web: '[1, {"two": 2}]|web|HEAT_SIGNAL\n' });
    assert.equal(done.outputs.lifecycle_status, null);
    // NO_SIGNAL: run, not waited for, nothing given back (Heat ignores a signal it does not wait for).
    assert.equal(done.outputs.quiet_said, null);
    await eventually(async () => inServer('test -e /root/quiet-done && echo yes || true').trim() || undefined, 30_000, 'the NO_SIGNAL deployment to run');
    assert.equal(inServer('cat /root/greeting.txt /root/received'), `hello\n${line}`);
    // One server runs its deployments one after the other, as Heat's agent does (each script takes half a second).
    const order = inServer('cat /root/order.log');
    assert.match(order, /^start (\w+)\nend \1\nstart (\w+)\nend \2\n$/);
    assert.deepEqual(order.match(/start \w+/g)!.sort(), ['start greet', 'start quiet']);
    // Nothing of the inputs is left behind but what heat-config keeps: the scripts, not their environment.
    assert.equal(inServer('ls /var/lib/heat-config/heat-config-script | grep -c "\\.env$" || true').trim(), '0');
    assert.equal(inServer('test -e /root/lifecycle.log && echo yes || echo no').trim(), 'no');

    await provider.suspend(ref);
    assert.equal((await waitFor(provider, ref, 'SUSPEND')).status, 'COMPLETE');
    await provider.resume(ref);
    assert.equal((await waitFor(provider, ref, 'RESUME')).status, 'COMPLETE');
    assert.equal(inServer('cat /root/lifecycle.log'), 'SUSPEND\nRESUME\n');

    const state = stackState(name);
    await provider.delete(ref);
    assert.deepEqual(await leftovers(state.shortId, name, state.plan.publicIps), []);
  });

  test('a script that exits non-zero fails the launch with the resource, the exit code and the end of its stderr', async () => {
    await provider.create({ name: failing, template: FAILING, parameters: {}, timeoutSeconds: 180 });
    const done = await waitFor(provider, failingRef, 'CREATE', 180_000);
    assert.equal(done.status, 'FAILED');
    assert.match(done.reason, /Software deployment install on server server failed: deploy_status_code : Deployment exited with non-zero status code: 100; its stderr ends: E: Unable to locate package no-such-package/);
    assert.match(done.reason, /resources\.install: Deployment to server failed/);
    const state = stackState(failing);
    await provider.delete(failingRef);
    assert.deepEqual(await leftovers(state.shortId, failing, state.plan.publicIps), []);
  });

  test('a lab deleted while a deployment runs is deleted without waiting for the script', async () => {
    assert.match(SLOW, /sleep 600/);
    await provider.create({ name: slow, template: SLOW, parameters: {}, timeoutSeconds: 300 });
    await eventually(async () => {
      try {
        return inServer('test -e /root/started && echo yes || true', slow).trim() || undefined;
      } catch {
        return undefined; // the container is not up yet
      }
    }, 120_000, 'the slow deployment to start');
    const state = stackState(slow);
    const started = Date.now();
    await provider.delete(slowRef);
    assert.ok(Date.now() - started < 60_000, `delete took ${Date.now() - started} ms`);
    assert.equal(await provider.get(slowRef), null);
    assert.deepEqual(await leftovers(state.shortId, slow, state.plan.publicIps), []);
  });
});
