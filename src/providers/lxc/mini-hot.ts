/**
 * A small HOT evaluator the runtime falls back to while src/templates/ is not there: parameters
 * (defaults, types, allowed_values/range/length/allowed_pattern), get_param, get_resource,
 * get_attr, str_replace, list_join, str_split, depends_on and the OS:: pseudo parameters.
 * Errors are thrown as `MiniHotError` with the resource and property they concern.
 */
import { parse } from 'yaml';
import type { EvaluationContext, Problem, StackEvaluation, TemplateResource } from './evaluation.ts';

export class MiniHotError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map((p) => [p.resource, p.property].filter(Boolean).join('.') + (p.resource ? ': ' : '') + p.message).join('; '));
    this.name = 'TemplateError';
  }
}

type Raw = Record<string, unknown>;
const isObj = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

function convert(name: string, def: Raw, value: unknown): unknown {
  const type = String(def.type ?? 'string');
  let v: unknown;
  if (type === 'number') {
    v = typeof value === 'number' ? value : Number(value);
    if (Number.isNaN(v)) throw new MiniHotError([{ message: `parameter ${name}: "${String(value)}" is not a number` }]);
  } else if (type === 'boolean') {
    v = typeof value === 'boolean' ? value : ['true', 'yes', '1', 'on'].includes(String(value).toLowerCase());
  } else if (type === 'comma_delimited_list') {
    v = Array.isArray(value) ? value : String(value).split(',').map((s) => s.trim()).filter(Boolean);
  } else if (type === 'json') {
    v = typeof value === 'string' ? JSON.parse(value) : value;
  } else v = String(value);
  for (const c of (def.constraints as Raw[] | undefined) ?? []) {
    const desc = typeof c.description === 'string' ? c.description : undefined;
    const fail = (why: string) => {
      throw new MiniHotError([{ message: `parameter ${name}: ${desc ?? why}` }]);
    };
    if (Array.isArray(c.allowed_values) && !c.allowed_values.map(String).includes(String(v))) fail(`"${String(v)}" is not one of ${c.allowed_values.join(', ')}`);
    if (isObj(c.range)) {
      const n = Number(v);
      if ((c.range.min !== undefined && n < Number(c.range.min)) || (c.range.max !== undefined && n > Number(c.range.max))) fail(`${n} is out of range`);
    }
    if (isObj(c.length)) {
      const n = String(v).length;
      if ((c.length.min !== undefined && n < Number(c.length.min)) || (c.length.max !== undefined && n > Number(c.length.max))) fail(`length ${n} is out of range`);
    }
    if (typeof c.allowed_pattern === 'string' && !new RegExp(`^(?:${c.allowed_pattern})$`).test(String(v))) fail(`"${String(v)}" does not match ${c.allowed_pattern}`);
  }
  return v;
}

function refs(node: unknown, into: Set<string>): void {
  if (Array.isArray(node)) return node.forEach((n) => refs(n, into));
  if (!isObj(node)) return;
  for (const [k, v] of Object.entries(node)) {
    if (k === 'get_resource' && typeof v === 'string') into.add(v);
    else if (k === 'get_attr' && Array.isArray(v) && typeof v[0] === 'string') into.add(v[0]);
    refs(v, into);
  }
}

function dig(value: unknown, path: unknown[]): unknown {
  let v: unknown;
  for (const p of path) {
    if (v === undefined || v === null) return null;
    v = (v as Record<string | number, unknown>)[p as string];
  }
  return v;
}

export function prepareStack(text: string, opts: { file?: string; environment?: string; parameters: Record<string, unknown> }): StackEvaluation {
  let doc: Raw;
  try {
    doc = parse(text) as Raw;
  } catch (err) {
    throw new MiniHotError([{ file: opts.file, message: `not valid YAML: ${(err as Error).message}` }]);
  }
  if (!isObj(doc) || !doc.heat_template_version) throw new MiniHotError([{ file: opts.file, message: 'not a HOT template: heat_template_version is missing' }]);
  const envParams = opts.environment ? ((parse(opts.environment) as Raw | null)?.parameters as Raw | undefined) ?? {} : {};
  const defs = (doc.parameters as Record<string, Raw> | undefined) ?? {};
  const parameters: Record<string, unknown> = {};
  const problems: Problem[] = [];
  for (const [name, def] of Object.entries(defs)) {
    const given = opts.parameters[name] ?? envParams[name] ?? def.default;
    if (given === undefined) {
      problems.push({ message: `parameter ${name} has no value and no default` });
      continue;
    }
    try {
      parameters[name] = convert(name, def, given);
    } catch (err) {
      problems.push(...((err as MiniHotError).problems ?? [{ message: String(err) }]));
    }
  }
  const resources = (doc.resources as Record<string, Raw> | undefined) ?? {};
  const template = { resources: {} as Record<string, TemplateResource> };
  const deps = new Map<string, string[]>();
  for (const [name, r] of Object.entries(resources)) {
    if (!isObj(r) || typeof r.type !== 'string') {
      problems.push({ resource: name, message: 'resource has no type' });
      continue;
    }
    const d = new Set<string>();
    refs(r.properties, d);
    const dependsOn = r.depends_on === undefined ? [] : Array.isArray(r.depends_on) ? r.depends_on.map(String) : [String(r.depends_on)];
    for (const x of dependsOn) d.add(x);
    for (const x of d) if (!(x in resources)) problems.push({ resource: name, message: `refers to unknown resource "${x}"` });
    deps.set(name, [...d].filter((x) => x in resources));
    template.resources[name] = { type: r.type, properties: (r.properties as Raw) ?? {}, dependsOn };
  }
  const outputRefs = new Set<string>();
  refs(doc.outputs, outputRefs);
  for (const x of outputRefs) if (!(x in resources)) problems.push({ message: `outputs refer to unknown resource "${x}"` });
  const order: string[] = [];
  const mark = new Map<string, 1 | 2>();
  const visit = (n: string, path: string[]) => {
    if (mark.get(n) === 2) return;
    if (mark.get(n) === 1) {
      problems.push({ resource: n, message: `circular dependency: ${[...path, n].join(' -> ')}` });
      return;
    }
    mark.set(n, 1);
    for (const d of deps.get(n) ?? []) visit(d, [...path, n]);
    mark.set(n, 2);
    order.push(n);
  };
  for (const n of deps.keys()) visit(n, []);
  if (problems.length) throw new MiniHotError(problems.map((p) => ({ file: opts.file, ...p })));

  const resolve = (node: unknown, ctx: EvaluationContext, where: { resource?: string }): unknown => {
    if (Array.isArray(node)) return node.map((n) => resolve(n, ctx, where));
    if (!isObj(node)) return node;
    const keys = Object.keys(node);
    if (keys.length === 1) {
      const [fn] = keys;
      const arg = node[fn];
      const fail = (why: string): never => {
        throw new MiniHotError([{ file: opts.file, resource: where.resource, message: `${fn}: ${why}` }]);
      };
      switch (fn) {
        case 'get_param': {
          const [name, ...path] = (Array.isArray(arg) ? arg : [arg]).map((a) => resolve(a, ctx, where)) as unknown[];
          if (name === 'OS::stack_name') return ctx.stackName;
          if (name === 'OS::stack_id') return ctx.stackId;
          if (name === 'OS::project_id') return 'local';
          if (typeof name !== 'string' || !(name in parameters)) return fail(`unknown parameter "${String(name)}"`);
          return dig(parameters[name], path);
        }
        case 'get_resource':
          return ctx.resourceId(String(arg));
        case 'get_attr': {
          if (!Array.isArray(arg) || arg.length < 2) return fail('needs [resource, attribute, ...path]');
          const [res, attr, ...path] = arg.map((a) => resolve(a, ctx, where)) as (string | number)[];
          return ctx.attribute(String(res), String(attr), path);
        }
        case 'str_replace': {
          const a = resolve(arg, ctx, where) as Raw;
          if (!isObj(a) || typeof a.template !== 'string' || !isObj(a.params)) return fail('needs template and params');
          let out = a.template;
          // Longest keys first, as Heat does, so "$host" does not eat "$hostname".
          for (const k of Object.keys(a.params).sort((x, y) => y.length - x.length)) {
            const v = a.params[k];
            out = out.split(k).join(typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v));
          }
          return out;
        }
        case 'list_join': {
          const [sep, ...lists] = resolve(arg, ctx, where) as unknown[];
          return lists.flatMap((l) => (Array.isArray(l) ? l : [l])).map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(String(sep));
        }
        case 'str_split': {
          const [sep, s, idx] = resolve(arg, ctx, where) as [string, string, number?];
          const parts = String(s).split(sep);
          return idx === undefined ? parts : parts[idx];
        }
      }
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolve(v, ctx, where)]));
  };

  return {
    parameters,
    order,
    dependencies: (r) => deps.get(r) ?? [],
    properties: (r, ctx) => resolve(template.resources[r]?.properties ?? {}, ctx, { resource: r }) as Raw,
    outputs: (ctx) => {
      const outs = (doc.outputs as Record<string, Raw> | undefined) ?? {};
      return Object.fromEntries(Object.entries(outs).map(([k, o]) => [k, resolve(isObj(o) ? o.value : o, ctx, { resource: `outputs.${k}` })]));
    },
    template,
  };
}
