/** A resource handler: turns one resource's resolved properties into its part of the plan. */
import type { Props } from '../plan-support.ts';
import type { PlanState } from './plan-state.ts';

/** Records what `resource` becomes in `state` (its attributes at least); refuses with `state.fail`. */
export type ResourceHandler = (state: PlanState, resource: string, properties: Props) => void;
