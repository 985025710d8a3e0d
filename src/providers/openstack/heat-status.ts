/**
 * Reading Heat's answers the provider contract's way: `stack_status` split into action and status,
 * outputs as a plain object, and a failure reason a person can act on (Heat's stack_status_reason
 * plus the reasons of the resources that failed, which often say more).
 */
import type { ProviderAction, ProviderStatus } from '../provider.ts';

export interface HeatOutput {
  output_key: string;
  output_value?: unknown;
  output_error?: string;
}

export interface HeatStack {
  id: string;
  stack_name: string;
  stack_status: string;
  stack_status_reason?: string | null;
  creation_time?: string;
  outputs?: HeatOutput[];
}

export interface HeatEvent {
  resource_name: string;
  logical_resource_id?: string;
  physical_resource_id?: string;
  resource_status: string;
  resource_status_reason?: string | null;
  event_time?: string;
}

const STATUSES: readonly ProviderStatus[] = ['IN_PROGRESS', 'COMPLETE', 'FAILED'];

/**
 * Heat has more actions than the contract. A rollback happens only after a failed create (we ask
 * for disable_rollback, but an operator's Heat may force it), so it reports as a CREATE that is
 * still going or has failed; INIT/ADOPT are kinds of create. UPDATE, CHECK, SNAPSHOT and RESTORE
 * are started by someone else on a stack that was created, so they read as CREATE with their status.
 */
export function splitStatus(stackStatus: string): { action: ProviderAction; status: ProviderStatus; heatAction: string } {
  const i = stackStatus.search(/_(IN_PROGRESS|COMPLETE|FAILED)$/);
  const heatAction = i > 0 ? stackStatus.slice(0, i) : stackStatus;
  let status = (i > 0 ? stackStatus.slice(i + 1) : 'FAILED') as ProviderStatus;
  if (!STATUSES.includes(status)) status = 'FAILED';
  switch (heatAction) {
    case 'CREATE':
    case 'SUSPEND':
    case 'RESUME':
    case 'DELETE':
      return { action: heatAction, status, heatAction };
    case 'ROLLBACK':
      return { action: 'CREATE', status: status === 'IN_PROGRESS' ? 'IN_PROGRESS' : 'FAILED', heatAction };
    default:
      return { action: 'CREATE', status, heatAction };
  }
}

export function outputsOf(stack: HeatStack): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of stack.outputs ?? []) {
    if (o.output_error === undefined) out[o.output_key] = o.output_value;
  }
  return out;
}

/**
 * Heat's stack reason names the first failure ("Resource CREATE failed: ValueError: resources.t:
 * ..."); the resource events add the failing resources' own words, and for nested stacks the
 * innermost one. Repeats are dropped so the sentence stays short.
 */
export function explainFailure(stack: HeatStack, events: HeatEvent[]): string {
  const parts: string[] = [];
  const base = (stack.stack_status_reason ?? '').trim();
  if (base) parts.push(base);
  const seen = new Set<string>();
  for (const ev of events) {
    if (!ev.resource_status.endsWith('FAILED')) continue;
    if (ev.physical_resource_id === stack.id || ev.resource_name === stack.stack_name) continue;
    const reason = (ev.resource_status_reason ?? '').trim();
    if (!reason || seen.has(reason)) continue;
    seen.add(reason);
    if (base.includes(reason)) continue;
    parts.push(`${ev.resource_name}: ${reason}`);
    if (parts.length >= 4) break;
  }
  return parts.join('; ') || `Heat reports ${stack.stack_status}`;
}
