import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareStack } from '../../../src/templates/evaluate.ts';
import { TemplateError, formatProblem } from '../../../src/templates/problems.ts';
import { parse, stringify } from 'yaml';
import { fixture, simulate } from './helpers.ts';

const SERVERS = ['jump', 'monitor', 'web1', 'web2', 'app1', 'app2', 'db1', 'db2', 'storage1', 'storage2'];

describe('prepareStack: the ten-server lab', () => {
  const stack = prepareStack(fixture('ten-servers.yaml'), { file: 'ten-servers.yaml', parameters: { run: 'run-2026' } });

  test('parameters are resolved and typed', () => {
    assert.deepEqual(stack.parameters, {
      run: 'run-2026',
      public_net: 'public',
      image: 'debian-12',
      flavor: 'm1.small',
      training_user: 'training',
      dns_nameservers: ['1.1.1.1', '8.8.8.8'],
    });
  });

  test('order puts every dependency first and holds every resource once', () => {
    const all = Object.keys(stack.template.resources);
    assert.equal(stack.order.length, all.length);
    assert.deepEqual([...stack.order].sort(), [...all].sort());
    for (const [i, name] of stack.order.entries()) {
      for (const dep of stack.dependencies(name)) assert.ok(stack.order.indexOf(dep) < i, `${dep} must come before ${name}`);
    }
    assert.deepEqual(stack.dependencies('jump_floating_ip'), ['router_public_mgmt', 'jump_port']);
    assert.deepEqual(stack.dependencies('web1'), ['training_key', 'web1_port', 'cloud_config']);
    assert.deepEqual(
      stack.dependencies('cloud_config'),
      ['training_key', 'stack_password', ...SERVERS.map((s) => `${s}_port`)],
    );
  });

  test('a full evaluation with a simulated runtime gives the servers, networks, cloud-config and outputs', () => {
    const sim = simulate(stack, 'stacklab-42');
    assert.deepEqual(sim.created, stack.order);

    const servers = stack.order.filter((r) => stack.resourceType(r) === 'OS::Nova::Server');
    assert.deepEqual([...servers].sort(), [...SERVERS].sort());
    for (const name of SERVERS) {
      const p = sim.properties[name]!;
      assert.equal(p.name, name);
      assert.equal(p.image, 'debian-12');
      assert.deepEqual(p.networks, [{ port: `id-${name}_port` }]);
      assert.equal(p.user_data, 'id-cloud_config');
      assert.equal(p.key_name, 'id-training_key');
      assert.deepEqual(p.metadata, { run: 'run-2026', role: name.replace(/\d/g, '') });
    }
    assert.deepEqual(sim.properties.mgmt_net, { name: 'stacklab-42-mgmt' });
    assert.equal(sim.properties.data_subnet!.network, 'id-data_net');
    assert.deepEqual(sim.properties.app_subnet!.dns_nameservers, ['1.1.1.1', '8.8.8.8']);
    assert.deepEqual(sim.properties.router_public!.external_gateway_info, { network: 'public' });
    assert.deepEqual(sim.properties.router_internal, {});
    assert.deepEqual(sim.properties.db2_port!.fixed_ips, [{ subnet: 'id-data_subnet', ip_address: '10.0.2.42' }]);

    const config = sim.properties.cloud_config!.cloud_config as {
      users: unknown[];
      chpasswd: { list: string };
      write_files: { path: string; content: string; owner?: string }[];
    };
    const keyPair = sim.attributes.training_key!;
    assert.deepEqual(config.users[1], {
      name: 'training',
      gecos: 'Training User',
      groups: 'users,adm',
      shell: '/bin/bash',
      lock_passwd: false,
      sudo: 'ALL=(ALL) NOPASSWD:ALL',
      ssh_authorized_keys: [keyPair.public_key],
    });
    assert.equal(config.chpasswd.list, `training:${String(sim.attributes.stack_password!.value)}`);
    const hosts = config.write_files.find((f) => f.path === '/etc/hosts')!.content;
    for (const name of SERVERS) {
      const ip = (sim.properties[`${name}_port`]!.fixed_ips as { ip_address: string }[])[0]!.ip_address;
      assert.match(hosts, new RegExp(`^${ip.replace(/\./g, '\\.')} ${name}$`, 'm'));
    }
    const key = config.write_files.find((f) => f.path === '/home/training/.ssh/id_rsa')!;
    assert.equal(key.owner, 'training:training');
    assert.equal(key.content, keyPair.private_key);

    const outputs = stack.outputs(sim.ctx);
    assert.equal(outputs.public_ip, sim.attributes.jump_floating_ip!.floating_ip_address);
    assert.match(String(outputs.public_ip), /^203\.0\.113\.\d+$/);
    assert.equal(outputs.private_key, keyPair.private_key);
    assert.equal(outputs.password, sim.attributes.stack_password!.value);
    assert.deepEqual(Object.keys(outputs.servers as object), SERVERS);
    assert.equal((outputs.servers as Record<string, string>).storage2, '10.0.2.52');
  });

  test('order does not depend on the order resources are written in', () => {
    const doc = parse(fixture('ten-servers.yaml')) as { resources: Record<string, unknown> };
    doc.resources = Object.fromEntries(Object.entries(doc.resources).reverse());
    const reversed = prepareStack(stringify(doc), { parameters: {} });
    const firstFree = Object.keys(doc.resources).find((r) => reversed.dependencies(r).length === 0);
    assert.equal(reversed.order[0], firstFree, 'the first resource free to go, in (reversed) template order');
    assert.notEqual(reversed.order[0], Object.keys(doc.resources)[0]);
    for (const [i, name] of reversed.order.entries()) {
      for (const dep of reversed.dependencies(name)) assert.ok(reversed.order.indexOf(dep) < i, `${dep} must come before ${name}`);
    }
    assert.ok(reversed.order.indexOf('jump_floating_ip') > reversed.order.indexOf('router_public_mgmt'), 'depends_on counts');
    const sim = simulate(reversed);
    assert.equal(sim.created.length, Object.keys(doc.resources).length);
  });

  test('a different user name flows through str_replace into cloud-config', () => {
    const other = prepareStack(fixture('ten-servers.yaml'), { parameters: { training_user: 'learner' } });
    const sim = simulate(other);
    const config = sim.properties.cloud_config!.cloud_config as { chpasswd: { list: string }; write_files: { path: string }[] };
    assert.match(config.chpasswd.list, /^learner:/);
    assert.ok(config.write_files.some((f) => f.path === '/home/learner/.ssh/id_rsa'));
  });
});

describe('prepareStack: hastexo-style template', () => {
  test('outputs public_ip, private_key, password and reboot_on_resume, which follows its condition', () => {
    for (const nested of [false, true]) {
      const stack = prepareStack(fixture('hastexo-sample.yaml'), { parameters: { run: 'r1', nested_kvm: String(nested) } });
      const sim = simulate(stack);
      const outputs = stack.outputs(sim.ctx);
      assert.equal(outputs.password, 'id-stack_password');
      assert.equal(outputs.private_key, sim.attributes.training_key!.private_key);
      assert.deepEqual(outputs.reboot_on_resume, nested ? ['id-server1', 'id-server2'] : []);
      const config = sim.properties.cloud_config!.cloud_config as { chpasswd: { list: string } };
      assert.equal(config.chpasswd.list, 'training:id-stack_password');
    }
  });

  test('the run parameter is required, as hastexo templates declare it without default', () => {
    assert.throws(
      () => prepareStack(fixture('hastexo-sample.yaml'), { file: 'hastexo-sample.yaml', parameters: {} }),
      (err: unknown) => err instanceof TemplateError && formatProblem(err.problems[0]!) === "hastexo-sample.yaml:9: parameter 'run': The Parameter (run) was not provided.",
    );
  });
});

describe('prepareStack: conditions, refusals and errors at evaluation time', () => {
  const text = [
    'heat_template_version: 2018-08-31', // 1
    'parameters:', // 2
    '  with_db: {type: boolean, default: false}', // 3
    '  settings: {type: json, default: {}}', // 4
    'conditions:', // 5
    '  db: {get_param: with_db}', // 6
    'resources:', // 7
    '  db:', // 8
    '    type: OS::Nova::Server', // 9
    '    condition: db', // 10
    '  app:', // 11
    '    type: OS::Nova::Server', // 12
    '    properties:', // 13
    '      name:', // 14
    '        list_join: [",", [{get_param: [settings, names]}, {get_resource: db}]]', // 15
    'outputs:', // 16
    '  db_id: {value: {get_resource: db}, condition: db}', // 17
  ].join('\n');

  test('a resource whose condition is false is not built; references to it give null', () => {
    const off = prepareStack(text, { parameters: {} });
    assert.deepEqual(off.order, ['app']);
    assert.throws(() => off.properties('db', simulate(off).ctx), /disabled by its condition/);
    const on = prepareStack(text, { parameters: { with_db: true, settings: '{"names": "a"}' } });
    assert.deepEqual(on.order, ['db', 'app']);
    assert.deepEqual(on.dependencies('app'), ['db']);
    const sim = simulate(on);
    assert.equal(sim.properties.app!.name, 'a,id-db');
    assert.deepEqual(on.outputs(sim.ctx), { db_id: 'id-db' });
    assert.deepEqual(off.outputs(simulate(off).ctx), { db_id: null });
  });

  test('an error only real values reveal names resource, property and line', () => {
    const stack = prepareStack(text, { file: 't.yaml', parameters: { with_db: 'true', settings: { names: 5 } } });
    assert.throws(
      () => simulate(stack),
      (err: unknown) =>
        err instanceof TemplateError &&
        err.problems[0]!.resource === 'app' &&
        err.problems[0]!.property === 'name' &&
        err.problems[0]!.line === 15 &&
        /Items to join must be string, map or list not 5/.test(err.message),
    );
  });

  test('every validation problem is thrown at once, before anything is built', () => {
    assert.throws(
      () => prepareStack(fixture('broken/bad-get-attr.yaml'), { file: 'x.yaml', parameters: {} }),
      (err: unknown) => err instanceof TemplateError && err.problems.length === 2 && /and 1 more problem/.test(err.message),
    );
    assert.throws(() => prepareStack(fixture('broken/cycle.yaml'), { parameters: {} }), /Circular Dependency Found/);
    assert.throws(() => prepareStack(fixture('broken/failing-constraint.yaml'), { parameters: { servers: 42 } }), /42 is out of range/);
  });

  test('a condition that needs OS::stack_name gets it from the options', () => {
    const t = 'heat_template_version: 2018-08-31\nconditions:\n  demo: {equals: [{get_param: "OS::stack_name"}, demo]}\nresources:\n  v: {type: OS::Heat::Value, condition: demo}\n';
    assert.deepEqual(prepareStack(t, { parameters: {}, stackName: 'demo' }).order, ['v']);
    assert.deepEqual(prepareStack(t, { parameters: {}, stackName: 'other' }).order, []);
    assert.throws(() => prepareStack(t, { parameters: {} }), /OS::stack_name is not known before the stack is named/);
  });
});
