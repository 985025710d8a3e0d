/**
 * The dependency graph of a stack's resources (get_resource, get_attr and depends_on), its cycles,
 * and the order a runtime that builds one resource at a time must follow.
 */

export type Graph = Map<string, Set<string>>;

/** Every cycle, each listed once, as the resource names along it (first name repeated at the end). */
export function findCycles(graph: Graph): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const seen = new Set<string>();
  const visit = (node: string) => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const dep of graph.get(node) ?? []) {
      if (!graph.has(dep)) continue;
      const s = state.get(dep);
      if (s === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(dep)), dep];
        const key = [...cycle.slice(0, -1)].sort().join('\u0000');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (s === undefined) visit(dep);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

/**
 * Dependencies first; among resources free to go, template order, so the result is stable and
 * reads like the template. Resources on a cycle are left out (validation reports the cycle).
 */
export function dependencyOrder(graph: Graph): string[] {
  const order: string[] = [];
  const placed = new Set<string>();
  const nodes = [...graph.keys()];
  let progress = true;
  while (progress) {
    progress = false;
    for (const node of nodes) {
      if (placed.has(node)) continue;
      const deps = [...(graph.get(node) ?? [])].filter((d) => graph.has(d));
      if (deps.every((d) => placed.has(d))) {
        order.push(node);
        placed.add(node);
        progress = true;
        // Restart from the top so an earlier resource that just became free goes first.
        break;
      }
    }
  }
  return order;
}
