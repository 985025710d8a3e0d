/**
 * What a launch leaves behind for grade passback, keyed by (learner, context, lab) like the stack:
 * the platform, the sub to report the score for and the AGS line item. The newest launch wins, so a
 * link moved to another line item sends later grades there.
 */
import type { Queryable } from '../db/database.ts';

export interface LaunchRecord {
  learner: string;
  context: string;
  lab: string;
  platform: string;
  deploymentId: string;
  sub: string;
  resourceLinkId: string | null;
  lineitemUrl: string | null;
  lineitemsUrl: string | null;
  agsScopes: string[];
  updatedAt: Date;
  /** The name the platform sent, for the class view's roster. */
  displayName?: string | null;
  /** Launched with instructor rights (src/domain/roles.ts). */
  staff?: boolean;
}

interface Row {
  learner: string;
  context: string;
  lab: string;
  platform: string;
  deployment_id: string;
  sub: string;
  resource_link_id: string | null;
  lineitem_url: string | null;
  lineitems_url: string | null;
  ags_scopes: string[];
  updated_at: Date;
}

export class LaunchStore {
  constructor(private readonly db: Queryable) {}

  async record(r: LaunchRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO lti_launches (learner, context, lab, platform, deployment_id, sub, resource_link_id, lineitem_url, lineitems_url, ags_scopes, updated_at, display_name, staff)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (learner, context, lab) DO UPDATE SET platform = $4, deployment_id = $5, sub = $6, resource_link_id = $7,
         lineitem_url = $8, lineitems_url = $9, ags_scopes = $10, updated_at = $11, display_name = $12, staff = $13`,
      [r.learner, r.context, r.lab, r.platform, r.deploymentId, r.sub, r.resourceLinkId, r.lineitemUrl, r.lineitemsUrl, r.agsScopes, r.updatedAt, r.displayName ?? null, r.staff ?? false],
    );
  }

  async get(learner: string, context: string, lab: string): Promise<LaunchRecord | undefined> {
    const [row] = await this.db.query<Row>('SELECT * FROM lti_launches WHERE learner = $1 AND context = $2 AND lab = $3', [learner, context, lab]);
    if (!row) return undefined;
    return {
      learner: row.learner,
      context: row.context,
      lab: row.lab,
      platform: row.platform,
      deploymentId: row.deployment_id,
      sub: row.sub,
      resourceLinkId: row.resource_link_id,
      lineitemUrl: row.lineitem_url,
      lineitemsUrl: row.lineitems_url,
      agsScopes: row.ags_scopes,
      updatedAt: row.updated_at,
    };
  }
}
