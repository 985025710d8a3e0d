/**
 * OS::Heat::ResourceGroup: `count` members made from `resource_def`, each planned by the handler of
 * its own type, as Heat makes them in a nested stack. The definition's properties are resolved in
 * the template (so members reach its networks and key pairs); `index_var` (`%index%`) is then
 * replaced by the member's index in every string of them, as Heat does. The group's attributes
 * (lists over the members, `resource.N`, `refs`) are read by `PlanState.groupAttribute`.
 */
import { PlanError, obj, uuidFor, type Props } from '../plan-support.ts';
import type { ResourceHandler } from './handler.ts';
import type { PlanState } from './plan-state.ts';

/** More members than this is a mistake in a lab (each server is a container on this host). */
const MAX_MEMBERS = 100;

export function planResourceGroup(state: PlanState, res: string, p: Props, handlers: Readonly<Record<string, ResourceHandler>>): void {
  const count = state.whole(res, p.count, 'count', 1, 0, MAX_MEMBERS);
  const def = obj(p.resource_def);
  const written = state.text(res, def.type, 'resource_def.type') ?? state.fail(res, 'resource_def needs a type', 'resource_def.type');
  // Members are built by the type the environment maps the definition's to, as for any resource.
  const type = state.input.evaluation.mappedType(written) ?? state.fail(res, `the resource_registry maps ${written} in a loop`, 'resource_def.type');
  const named = type === written ? type : `${written} (mapped to ${type} by the environment)`;
  if (!Object.hasOwn(handlers, type)) state.fail(res, `members of type ${named} are not supported by the local runtime (lxc)`, 'resource_def.type');
  const indexVar = state.text(res, p.index_var, 'index_var') ?? '%index%';
  const members: string[] = [];
  state.groups.set(res, members);
  state.attributes[res] = {};
  for (let i = 0; i < count; i++) {
    // Not a name a template can give a resource of its own: Heat's `resource.N` without the prefix.
    const member = `${res}.${i}`;
    state.types[member] = type;
    state.setId(member, uuidFor(state.input.stackId, member));
    const properties = Object.fromEntries(Object.entries(obj(substituteIndex(def.properties, indexVar, String(i)))).filter(([, v]) => v !== null && v !== undefined));
    const before = state.problems.length;
    try {
      handlers[type](state, member, properties);
    } catch (err) {
      if (!(err instanceof PlanError)) throw err;
      state.problems.push(...err.problems);
    }
    const refused = state.problems.splice(before);
    // Said of the group's own definition, where the author can fix it.
    if (refused.length) throw new PlanError(refused.map((x) => ({ ...x, resource: res, property: `resource_def${x.resource === member ? `.properties${x.property ? `.${x.property}` : ''}` : ''}`, message: `member ${i}: ${x.message}` })));
    members.push(member);
  }
}

/** `index_var` replaced in every string value (not in map keys), as Heat's ResourceGroup does. */
function substituteIndex(value: unknown, indexVar: string, index: string): unknown {
  if (typeof value === 'string') return value.split(indexVar).join(index);
  if (Array.isArray(value)) return value.map((v) => substituteIndex(v, indexVar, index));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteIndex(v, indexVar, index)]));
  return value;
}
