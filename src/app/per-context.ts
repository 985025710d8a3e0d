/**
 * One instance of a service per app context, made on first use and shared by everyone who asks with
 * that context (routes, jobs, hooks, the CLI), so state such as caches and locks is not split.
 */
export function perContext<C extends object, T>(make: (ctx: C) => T): (ctx: C) => T {
  const made = new WeakMap<C, T>();
  return (ctx) => {
    if (!made.has(ctx)) made.set(ctx, make(ctx));
    return made.get(ctx)!;
  };
}
