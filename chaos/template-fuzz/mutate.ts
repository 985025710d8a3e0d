/**
 * Mutations of a template (and of its environment and parameters), the kinds of mistakes authors
 * make and a few they do not: drop, rename, retype, nest, swap intrinsics, break references,
 * duplicate resources, change the version, and text-level damage (truncation, lost lines, bad
 * indentation). Each mutation returns a label saying what it did and where.
 */
import { parse, stringify } from 'yaml';
import type { Seed } from './corpus.ts';
import type { Random } from './random.ts';

export interface FuzzCase {
  seed: string;
  template: string;
  environment?: string;
  parameters: Record<string, unknown>;
  mutations: string[];
}

type Path = (string | number)[];
type Doc = Record<string, unknown>;

const INTRINSICS = [
  'get_param', 'get_resource', 'get_attr', 'get_file', 'list_join', 'str_replace', 'str_replace_strict', 'str_replace_vstrict',
  'digest', 'repeat', 'str_split', 'map_merge', 'map_replace', 'if', 'filter', 'make_url', 'list_concat', 'list_concat_unique',
  'contains', 'equals', 'not', 'and', 'or', 'yaql', 'resource_facade', 'Fn::Select', 'Ref',
];
const VERSIONS = ['2013-05-23', '2015-04-30', '2015-10-15', '2016-10-14', '2017-02-24', '2017-09-01', '2018-08-31', 'wallaby', '2099-01-01'];
const TYPES = ['OS::Nova::Server', 'OS::Neutron::Net', 'OS::Neutron::Subnet', 'OS::Neutron::Port', 'OS::Neutron::Router', 'OS::Heat::RandomString', 'OS::Heat::WaitCondition', 'OS::Cinder::Volume', 'OS::Heat::Value', 'My::Custom', 'constructor'];
/** Names every plain JavaScript object answers to: a lookup by a template's name must not find them. */
const PROTOTYPE_NAMES = ['constructor', 'toString', 'hasOwnProperty'];

const isMap = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

function children(v: unknown): [string | number, unknown][] {
  if (Array.isArray(v)) return v.map((x, i) => [i, x]);
  if (isMap(v)) return Object.entries(v);
  return [];
}

/** Every path in the document, root excluded. */
function paths(v: unknown, base: Path = [], out: Path[] = []): Path[] {
  for (const [k, child] of children(v)) {
    const p = [...base, k];
    out.push(p);
    if (out.length < 5000) paths(child, p, out);
  }
  return out;
}

function get(doc: unknown, path: Path): unknown {
  let v = doc;
  for (const k of path) v = (v as Record<string | number, unknown>)?.[k];
  return v;
}

function set(doc: unknown, path: Path, value: unknown): void {
  const parent = get(doc, path.slice(0, -1)) as Record<string | number, unknown>;
  parent[path[path.length - 1]!] = value;
}

function remove(doc: unknown, path: Path): void {
  const parent = get(doc, path.slice(0, -1));
  const k = path[path.length - 1]!;
  if (Array.isArray(parent)) parent.splice(k as number, 1);
  else delete (parent as Doc)[k as string];
}

/** Renames a key in place, keeping its position (order matters: resources are built in it). */
function renameKey(map: Doc, from: string, to: string): void {
  const entries = Object.entries(map).map(([k, v]) => [k === from ? to : k, v] as const);
  for (const k of Object.keys(map)) delete map[k];
  for (const [k, v] of entries) map[k] = v;
}

function randomScalar(r: Random, names: string[]): unknown {
  return r.pick<() => unknown>([
    () => '',
    () => 'x',
    () => r.pick(names.length ? names : ['x']),
    () => 0,
    () => -1,
    () => r.int(70000),
    () => 3.5,
    () => 1e9,
    () => true,
    () => null,
    () => '10.0.0.0/33',
    () => '999.1.1.1',
    () => 'a'.repeat(300),
  ])();
}

function randomValue(r: Random, names: string[], depth = 0): unknown {
  const kind = depth > 2 ? 0 : r.int(5);
  if (kind === 0 || kind === 1) return randomScalar(r, names);
  if (kind === 2) return Array.from({ length: r.int(3) }, () => randomValue(r, names, depth + 1));
  if (kind === 3) return Object.fromEntries(Array.from({ length: r.int(3) }, () => [r.pick([...names, 'k', 'template', 'params']), randomValue(r, names, depth + 1)]));
  return { [r.pick(INTRINSICS)]: randomValue(r, names, depth + 1) };
}

function retype(value: unknown, r: Random, names: string[]): unknown {
  const options: (() => unknown)[] = [
    () => (typeof value === 'string' ? r.int(5000) : typeof value === 'object' ? JSON.stringify(value) : String(value)),
    () => (Array.isArray(value) ? value[0] ?? null : [value]),
    () => (isMap(value) ? Object.values(value) : { value }),
    () => null,
    () => (typeof value === 'number' ? -value : typeof value === 'boolean' ? String(value) : true),
    () => randomScalar(r, names),
  ];
  return r.pick(options)();
}

type Mutation = (doc: Doc, r: Random, names: string[]) => string | undefined;

const pickPath = (doc: Doc, r: Random, filter?: (p: Path, v: unknown) => boolean): Path | undefined => {
  const all = paths(doc).filter((p) => !filter || filter(p, get(doc, p)));
  // Resources are where most mistakes are and what the planner reads: weight them.
  const inResources = all.filter((p) => p[0] === 'resources');
  const pool = inResources.length && r.chance(0.7) ? inResources : all;
  return pool.length ? r.pick(pool) : undefined;
};
const show = (p: Path) => p.map(String).join('.');

const MUTATIONS: Record<string, Mutation> = {
  drop: (doc, r) => {
    const p = pickPath(doc, r);
    if (!p) return undefined;
    remove(doc, p);
    return `drop ${show(p)}`;
  },
  rename: (doc, r, names) => {
    const p = pickPath(doc, r, (q) => typeof q[q.length - 1] === 'string');
    if (!p) return undefined;
    const parent = get(doc, p.slice(0, -1)) as Doc;
    const from = p[p.length - 1] as string;
    const to = r.pick([`${from}x`, from.toUpperCase(), from.slice(1), r.pick(names.length ? names : ['x']), `${from}_2`, r.pick(PROTOTYPE_NAMES)]);
    if (to in parent) return undefined;
    renameKey(parent, from, to);
    return `rename ${show(p)} -> ${to}`;
  },
  retype: (doc, r, names) => {
    const p = pickPath(doc, r);
    if (!p) return undefined;
    set(doc, p, retype(get(doc, p), r, names));
    return `retype ${show(p)}`;
  },
  nest: (doc, r) => {
    const p = pickPath(doc, r);
    if (!p) return undefined;
    const v = get(doc, p);
    set(doc, p, r.chance(0.5) ? [v] : { [r.pick(['value', 'properties', 'get_param', 'template'])]: v });
    return `nest ${show(p)}`;
  },
  swapIntrinsic: (doc, r) => {
    const p = pickPath(doc, r, (q, v) => isMap(v) && Object.keys(v).length === 1 && INTRINSICS.includes(Object.keys(v)[0]!));
    if (!p) return undefined;
    const call = get(doc, p) as Doc;
    const [name] = Object.keys(call);
    const to = r.pick(INTRINSICS);
    set(doc, p, { [to]: call[name!] });
    return `swap ${show(p)} ${name} -> ${to}`;
  },
  breakReference: (doc, r, names) => {
    const p = pickPath(doc, r, (q, v) => isMap(v) && ['get_resource', 'get_attr', 'get_param'].includes(Object.keys(v)[0]!) || q.includes('depends_on'));
    if (!p) return undefined;
    const v = get(doc, p);
    const target = r.pick([...names, 'missing', 'OS::stack_name', '', ...PROTOTYPE_NAMES]);
    if (isMap(v)) {
      const [name] = Object.keys(v);
      const args = v[name!];
      v[name!] = Array.isArray(args) ? [target, ...args.slice(1).map((a) => (r.chance(0.3) ? r.pick(['nope', 0, 99, 'show', 'value']) : a))] : target;
    } else set(doc, p, target);
    return `reference ${show(p)} -> ${String(target)}`;
  },
  inject: (doc, r, names) => {
    const p = pickPath(doc, r);
    if (!p) return undefined;
    set(doc, p, randomValue(r, names));
    return `inject ${show(p)}`;
  },
  duplicate: (doc, r) => {
    const resources = doc.resources;
    if (!isMap(resources) || !Object.keys(resources).length) return undefined;
    const name = r.pick(Object.keys(resources));
    resources[`${name}_copy`] = structuredClone(resources[name]);
    return `duplicate resources.${name}`;
  },
  changeType: (doc, r) => {
    const p = pickPath(doc, r, (q) => q[0] === 'resources' && q.length === 3 && q[2] === 'type');
    if (!p) return undefined;
    const to = r.pick(TYPES);
    set(doc, p, to);
    return `type ${show(p)} -> ${to}`;
  },
  version: (doc, r) => {
    const to = r.pick(VERSIONS);
    doc.heat_template_version = to;
    return `version -> ${to}`;
  },
};

function textDamage(text: string, r: Random): [string, string] {
  const lines = text.split('\n');
  const i = r.int(lines.length);
  switch (r.int(4)) {
    case 0: {
      const at = r.int(text.length);
      return [text.slice(0, at), `truncate at ${at}`];
    }
    case 1:
      return [[...lines.slice(0, i), ...lines.slice(i + 1)].join('\n'), `delete line ${i + 1}`];
    case 2:
      return [[...lines.slice(0, i), ` ${lines[i]}`, ...lines.slice(i + 1)].join('\n'), `indent line ${i + 1}`];
    default:
      return [[...lines.slice(0, i), lines[i]!.replace(/:\s/, ' '), ...lines.slice(i + 1)].join('\n'), `lose a colon on line ${i + 1}`];
  }
}

/** Names used in the template (resources, parameters, conditions), for plausible wrong references. */
function namesIn(doc: Doc): string[] {
  return ['resources', 'parameters', 'conditions'].flatMap((s) => (isMap(doc[s]) ? Object.keys(doc[s]) : []));
}

/** An environment to go with a template: its parameters' values, a registry; then mutated like it. */
function environmentFor(doc: Doc, r: Random): Doc {
  const params = isMap(doc.parameters) ? doc.parameters : {};
  const values = Object.fromEntries(Object.entries(params).map(([k, p]) => [k, isMap(p) && p.default !== undefined ? p.default : 'x']));
  const env: Doc = { [r.pick(['parameters', 'parameter_defaults'])]: values };
  if (r.chance(0.5)) env.resource_registry = { 'My::Custom': r.pick(TYPES), ...(r.chance(0.3) ? { 'OS::Loop::*': 'OS::Loop::*', 'A::B': 'C::D', 'C::D': 'A::B' } : {}) };
  return env;
}

export function mutate(seed: Seed, r: Random): FuzzCase {
  const mutations: string[] = [];
  let template = seed.template;
  let environment = seed.environment;
  let parameters = { ...seed.parameters };
  let doc: unknown;
  try {
    doc = parse(template);
  } catch {
    doc = undefined; // a fixture of broken YAML: only text damage applies
  }
  if (isMap(doc)) {
    const names = namesIn(doc);
    const kinds = Object.keys(MUTATIONS);
    const count = 1 + r.int(3);
    for (let n = 0; n < count; n++) {
      const kind = r.pick(kinds);
      const label = MUTATIONS[kind]!(doc, r, names);
      if (label) mutations.push(label);
    }
    if (r.chance(0.15)) {
      const env = environmentFor(doc, r);
      const label = MUTATIONS[r.pick(['drop', 'retype', 'nest', 'rename', 'inject'])]!(env, r, names);
      environment = stringify(env);
      mutations.push(`environment${label ? `: ${label}` : ''}`);
    }
    if (r.chance(0.1)) {
      const name = r.pick([...names, ...PROTOTYPE_NAMES]);
      parameters = { ...parameters, [name]: randomScalar(r, names) };
      mutations.push(`parameter ${name}`);
    }
    template = stringify(doc, { aliasDuplicateObjects: false });
  }
  if (mutations.length === 0 || r.chance(0.12)) {
    const [damaged, label] = textDamage(template, r);
    template = damaged;
    mutations.push(label);
  }
  return { seed: seed.name, template, environment, parameters, mutations };
}
