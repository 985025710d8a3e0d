/**
 * Which deployment this store belongs to. The first process to start on a store records the
 * configured `deployment_id` or a generated one; every later start reads it back. A configured id
 * that differs from the recorded one stops the start: the store's stacks are named for the recorded
 * one, and running under another name would make them look like somebody else's.
 */
import { randomBytes } from 'node:crypto';
import { DEPLOYMENT_ID_RULE, isDeploymentId, LAB_TEST_DEPLOYMENT } from '../domain/deployment.ts';
import type { Queryable } from './database.ts';

export class DeploymentMismatchError extends Error {
  constructor(
    readonly configured: string,
    readonly recorded: string,
  ) {
    super(
      `deployment_id is '${configured}' (STACKLAB_DEPLOYMENT_ID or the config file), but this store belongs to deployment '${recorded}': ` +
        `its stacks are named stacklab-${recorded}-..., and a store belongs to one deployment. ` +
        `Set deployment_id to '${recorded}' or unset it to keep using this store; to run a separate deployment, give it its own store (DATABASE_URL or data_dir).`,
    );
    this.name = 'DeploymentMismatchError';
  }
}

export function newDeploymentId(): string {
  // A letter first (the rule wants one), then 9 base-36 characters: about 46 bits, no collision in practice.
  const bytes = randomBytes(10);
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return alphabet[bytes[0]! % 26] + [...bytes.subarray(1)].map((b) => alphabet[b % 36]).join('');
}

/** Records the deployment on first use and returns the store's deployment id. */
export async function resolveDeployment(db: Queryable, configured?: string): Promise<string> {
  if (configured !== undefined && !isDeploymentId(configured)) throw new Error(`deployment_id '${configured}' is not valid: use ${DEPLOYMENT_ID_RULE}`);
  if (configured === LAB_TEST_DEPLOYMENT) throw new Error(`deployment_id '${configured}' is reserved for the stacks of \`stacklab test\`; choose another`);
  // Several processes may start at once on a fresh store: the single-row key lets exactly one insert win.
  await db.query('INSERT INTO deployment (id) VALUES ($1) ON CONFLICT (singleton) DO NOTHING', [configured ?? newDeploymentId()]);
  const [row] = await db.query<{ id: string }>('SELECT id FROM deployment');
  if (!row) throw new Error('the deployment table is empty right after writing it; is the store read-only?');
  if (configured !== undefined && row.id !== configured) throw new DeploymentMismatchError(configured, row.id);
  return row.id;
}
