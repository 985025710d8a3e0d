/** Condition functions (and `if`, which chooses a value by a condition). */
import { deepEqual } from '../values.ts';
import type { IntrinsicFunction } from './function-spec.ts';

export const ifFunction: IntrinsicFunction = {
  name: 'if',
  value: { since: '2016-10-14' },
  check(c) {
    const a = c.listArgs(3, 3, 'if: [condition, value_if_true, value_if_false]');
    if (!a) return;
    c.condition(a[0], [...c.path, 0]);
    c.data(a[1], [...c.path, 1]);
    c.data(a[2], [...c.path, 2]);
  },
  resolve(c) {
    const chosen = c.condition(c.args[0], [...c.path, 0]) ? 1 : 2;
    return c.arg(c.args[chosen], chosen);
  },
};

export const equals: IntrinsicFunction = {
  name: 'equals',
  condition: { since: '2016-10-14' },
  check(c) {
    const a = c.listArgs(2, 2, 'equals: [value1, value2]');
    if (a) a.forEach((v, i) => c.data(v, [...c.path, i]));
  },
  resolve: (c) => deepEqual(c.arg(c.args[0], 0), c.arg(c.args[1], 1)),
};

export const not: IntrinsicFunction = {
  name: 'not',
  condition: { since: '2016-10-14' },
  check: (c) => c.condition(c.args, c.path),
  resolve: (c) => !c.condition(c.raw, c.path),
};

function junction(name: 'and' | 'or'): IntrinsicFunction {
  return {
    name,
    condition: { since: '2016-10-14' },
    check(c) {
      const a = c.listArgs(2, Infinity, `${name}: [condition1, condition2, ...]`);
      if (a) a.forEach((v, i) => c.condition(v, [...c.path, i]));
    },
    resolve(c) {
      const each = (v: unknown, i: number) => c.condition(v, [...c.path, i]);
      return name === 'and' ? c.args.every(each) : c.args.some(each);
    },
  };
}

export const and = junction('and');
export const or = junction('or');
