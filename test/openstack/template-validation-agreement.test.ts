/**
 * Our validator against a real OpenStack Heat (the project's Keystone + Heat, see
 * scripts/setup-heat.sh): what Heat refuses we refuse, with Heat's own words where we claim them,
 * and what Heat accepts we accept. Only OS::Heat::* types are used, because the test cloud has no
 * Nova or Neutron. Heat's /validate does not look at parameter values, undeclared get_param or
 * digest algorithms; Heat refuses those when the stack is created, so those cases are checked with
 * a real create (and any stack that Heat did create is deleted).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { skipUnless } from '../support/prerequisite.ts';
import { validateTemplate } from '../../src/templates/validate.ts';
import { formatProblem } from '../../src/templates/problems.ts';

const AUTH_URL = process.env.OS_AUTH_URL ?? 'http://127.0.0.1:5000/v3';
const USER = process.env.OS_USERNAME ?? 'demo';
const PASSWORD = process.env.OS_PASSWORD ?? 'demopass';
const PROJECT = process.env.OS_PROJECT_NAME ?? 'demo';

async function reachable(): Promise<boolean> {
  try {
    return (await fetch(AUTH_URL, { signal: AbortSignal.timeout(3000) })).ok;
  } catch {
    return false;
  }
}

const skip = skipUnless(await reachable(), `no Keystone at ${AUTH_URL} (run scripts/setup-heat.sh)`);

let token = '';
let heat = '';
const created: string[] = [];

async function heatCall(method: string, path: string, body?: unknown): Promise<{ status: number; message: string; json: Record<string, unknown> }> {
  const res = await fetch(`${heat}${path}`, {
    method,
    headers: { 'x-auth-token': token, 'content-type': 'application/json', accept: 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    redirect: 'manual',
  });
  const text = await res.text();
  const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  const error = json.error as { message?: string } | undefined;
  // Heat prefixes the path of the offending snippet ("resources.v.properties.value.get_attr: ").
  const message = (error?.message ?? '').replace(/^[\w.]+: /, '');
  return { status: res.status, message, json };
}

/** Heat's verdict at create time; a stack Heat accepted is remembered for deletion. */
async function heatCreate(name: string, template: string, parameters: Record<string, unknown>) {
  const stackName = `stacklab-tpl-${name}-${process.pid}`;
  const r = await heatCall('POST', '/stacks', { stack_name: stackName, template, parameters, timeout_mins: 5 });
  if (r.status === 201) created.push(`${stackName}/${String((r.json.stack as { id: string }).id)}`);
  return r;
}

const T = 'heat_template_version: 2018-08-31\n';

const REFUSED_BY_VALIDATE: Record<string, { template: string; same?: boolean }> = {
  'unknown type': { template: `${T}resources:\n  v: {type: OS::Heat::Valu}\n`, same: true },
  'bad get_attr attribute': { template: `${T}resources:\n  r: {type: OS::Heat::RandomString}\n  v: {type: OS::Heat::Value, properties: {value: {get_attr: [r, nope]}}}\n`, same: true },
  'get_resource of a missing resource': { template: `${T}resources:\n  v: {type: OS::Heat::Value, properties: {value: {get_resource: ghost}}}\n`, same: true },
  'depends_on a missing resource': { template: `${T}resources:\n  v: {type: OS::Heat::Value, depends_on: ghost}\n`, same: true },
  'unknown version': { template: 'heat_template_version: 2019-01-01\nresources: {}\n', same: true },
  'unknown section': { template: `${T}resourcez: {}\n`, same: true },
  'unknown resource keyword': { template: `${T}resources:\n  v: {type: OS::Heat::Value, propertys: {}}\n`, same: true },
  'undeclared condition': { template: `${T}resources:\n  v: {type: OS::Heat::Value, condition: nope}\n` },
  'default breaking its constraint': { template: `${T}parameters:\n  n: {type: number, default: 50, constraints: [{range: {max: 5}}]}\nresources: {}\n`, same: true },
  'str_replace without params': { template: `${T}resources:\n  v: {type: OS::Heat::Value, properties: {value: {str_replace: {template: a, parms: {}}}}}\n` },
  'list_join without a list': { template: `${T}resources:\n  v: {type: OS::Heat::Value, properties: {value: {list_join: [","]}}}\n` },
  'output referring to a missing resource': { template: `${T}resources:\n  v: {type: OS::Heat::Value}\noutputs:\n  o: {value: {get_attr: [ghost, x]}}\n` },
};

const REFUSED_AT_CREATE: Record<string, { template: string; parameters: Record<string, unknown> }> = {
  'value breaking a constraint': {
    template: `${T}parameters:\n  n: {type: number, default: 1, constraints: [{range: {max: 5}}]}\nresources:\n  v: {type: OS::Heat::Value, properties: {value: {get_param: n}}}\n`,
    parameters: { n: 9 },
  },
  'missing parameter value': { template: `${T}parameters:\n  n: {type: string}\nresources:\n  v: {type: OS::Heat::Value, properties: {value: {get_param: n}}}\n`, parameters: {} },
  'parameter not declared': { template: `${T}resources:\n  v: {type: OS::Heat::Value}\n`, parameters: { extra: 1 } },
};

const ACCEPTED = `heat_template_version: 2018-08-31
parameters:
  run: {type: string, default: r1}
  names: {type: comma_delimited_list, default: "a,b"}
  big: {type: boolean, default: false}
conditions:
  is_big: {get_param: big}
  not_big: {not: is_big}
resources:
  password:
    type: OS::Heat::RandomString
    properties: {length: 12}
  joined:
    type: OS::Heat::Value
    properties:
      value:
        list_join: ["-", [{get_param: "OS::stack_name"}, {get_param: run}, {get_attr: [password, value]}]]
  replaced:
    type: OS::Heat::Value
    properties:
      value:
        str_replace:
          template: "user:$pw on $names"
          params: {$pw: {get_resource: password}, $names: {get_param: names}}
  repeated:
    type: OS::Heat::Value
    properties:
      value:
        repeat: {for_each: {"%n%": {get_param: names}}, template: {name: "%n%"}}
  merged:
    type: OS::Heat::Value
    condition: not_big
    properties:
      value:
        map_merge: [{a: 1}, {b: {if: [is_big, 2, 3]}}, {d: {digest: [sha256, {get_param: run}]}}]
outputs:
  password: {value: {get_attr: [password, value]}}
  joined: {value: {get_attr: [joined, value]}}
  parts: {value: {str_split: ["-", {get_attr: [joined, value]}]}}
`;

describe('validator agrees with a real Heat', { skip }, () => {
  before(async () => {
    const body = { auth: { identity: { methods: ['password'], password: { user: { name: USER, domain: { id: 'default' }, password: PASSWORD } } }, scope: { project: { name: PROJECT, domain: { id: 'default' } } } } };
    const res = await fetch(`${AUTH_URL}/auth/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(res.status, 201, 'Keystone token');
    token = res.headers.get('x-subject-token') ?? '';
    const catalog = ((await res.json()) as { token: { catalog: { type: string; endpoints: { interface: string; url: string }[] }[] } }).token.catalog;
    heat = catalog.find((c) => c.type === 'orchestration')?.endpoints.find((e) => e.interface === 'public')?.url ?? '';
    assert.ok(heat, 'Heat in the catalog');
  });

  after(async () => {
    for (const stack of created) await heatCall('DELETE', `/stacks/${stack}`);
  });

  for (const [name, { template, same }] of Object.entries(REFUSED_BY_VALIDATE)) {
    test(`refused by both: ${name}`, async () => {
      const theirs = await heatCall('POST', '/validate', { template });
      assert.equal(theirs.status, 400, `Heat should refuse: ${JSON.stringify(theirs.json)}`);
      const ours = validateTemplate(template);
      assert.ok(ours.length > 0, `we should refuse what Heat refuses with: ${theirs.message}`);
      if (same) {
        const messages = ours.map((p) => p.message);
        // Heat lists all known versions; we may know the same ones in another order of names.
        const core = theirs.message.split('. "heat_template_version" should be')[0]!;
        assert.ok(messages.some((m) => m.startsWith(core)), `Heat says "${theirs.message}", we say:\n${ours.map(formatProblem).join('\n')}`);
      }
    });
  }

  for (const [name, { template, parameters }] of Object.entries(REFUSED_AT_CREATE)) {
    test(`refused by both at create: ${name}`, async () => {
      const theirs = await heatCreate(name.replace(/\W+/g, '-'), template, parameters);
      assert.equal(theirs.status, 400, `Heat should refuse the create: ${JSON.stringify(theirs.json)}`);
      const ours = validateTemplate(template, { parameters, requireAllParameters: true });
      assert.ok(ours.some((p) => theirs.message.includes(p.message) || p.message.includes(theirs.message.split(':')[0]!)), `Heat says "${theirs.message}", we say:\n${ours.map(formatProblem).join('\n')}`);
    });
  }

  test('accepted by both: a template using many functions', async () => {
    const theirs = await heatCall('POST', '/validate', { template: ACCEPTED });
    assert.equal(theirs.status, 200, JSON.stringify(theirs.json));
    assert.deepEqual(validateTemplate(ACCEPTED, { requireAllParameters: true, localRuntime: true }).map(formatProblem), []);
    // Heat reports the declared parameters back; we read the same ones.
    assert.deepEqual(Object.keys(theirs.json.Parameters as object).sort(), ['big', 'names', 'run']);
  });
});
