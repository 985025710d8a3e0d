/**
 * Tiered dormancy: an idle stack is suspended (the lab's idle timeout), a stack still unused later is
 * shelved (`shelve_after`), and one unused for its delete age is deleted. Suspending is quick to undo but
 * keeps each server's place on its hypervisor, which many clouds bill like a running server; shelving
 * (Nova shelve, offloaded) frees that place, and costs a longer wake-up. Each provider says what its cloud
 * can do and bills; the lab may choose its own shelve time. Pure: the provider reports, policy.ts judges.
 */

/** What a provider's cloud can do and bills, from its settings (docs/openstack.md). */
export interface DormancyPolicy {
  /** The provider can shelve a suspended stack's servers (Nova: yes; the local runtime: no). */
  canShelve: boolean;
  /** The cloud bills a suspended server (it keeps its hypervisor place): shelving it saves money. */
  billsSuspended: boolean;
  /** Offload shelved servers explicitly (Nova shelveOffload, admin-only by Nova's default policy). */
  shelveOffload: boolean;
  /** Default seconds without activity before a suspended stack is shelved; 0 = never. */
  shelveAfter: number;
  /** A typical unshelve of one stack on this cloud, in seconds: the learner's estimate when waking a shelved lab. */
  unshelveEstimate: number;
}

/** A provider that says nothing keeps today's behaviour: suspend, then delete. */
export const SUSPEND_ONLY: DormancyPolicy = { canShelve: false, billsSuspended: false, shelveOffload: false, shelveAfter: 0, unshelveEstimate: 0 };

/** Shelve after this long unused on a cloud that bills suspended servers, unless the provider entry says otherwise. */
export const DEFAULT_SHELVE_AFTER = 2 * 3600;

/**
 * The cheapest safe default for a cloud: shelve (after DEFAULT_SHELVE_AFTER) where suspended servers are
 * billed and the cloud can shelve; where they are not billed, a suspended lab costs nothing and wakes faster,
 * so it stays suspended until it is deleted.
 */
export function defaultShelveAfter(policy: Pick<DormancyPolicy, 'canShelve' | 'billsSuspended'>): number {
  return policy.canShelve && policy.billsSuspended ? DEFAULT_SHELVE_AFTER : 0;
}

/**
 * The seconds a stack stays unused before it is shelved, fixed when its suspend completes: the lab's
 * `shelve_after` when it sets one (0 = never), else its provider's default; never on a provider that cannot shelve.
 */
export function effectiveShelveAfter(labShelveAfter: number | undefined, provider: DormancyPolicy | undefined): number {
  if (!provider?.canShelve) return 0;
  return labShelveAfter ?? provider.shelveAfter;
}
