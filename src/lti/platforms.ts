/**
 * Platform registrations (an LMS that launches stacklab): from the config file's `lti:` section, the
 * admin API or the CLI. Config entries are written to the store at start-up so every part of the
 * server reads one table; `source` keeps the API from silently overwriting what the config file says.
 */
import { z } from 'zod';
import type { Clock } from '../infra/clock.ts';
import type { Queryable } from '../db/database.ts';
import { isLoopbackHost } from '../domain/loopback.ts';

/**
 * A platform URL: https, or http on a loopback host only (an LMS on the same machine, the test
 * harness). Over plain http anyone on the path could swap the platform's keys (jwks_url), read the
 * tool's client assertion (token_url) or forge the issuer the launches are checked against.
 */
const platformUrl = z.string().superRefine((value, check) => {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    check.addIssue({ code: 'custom', message: `must be a URL (https://…), not "${value.slice(0, 100)}"` });
    return;
  }
  if (parsed.protocol === 'https:') return;
  if (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname)) return;
  const why = parsed.protocol === 'http:' ? 'http is allowed only for a loopback host (localhost, 127.0.0.1, ::1)' : `${parsed.protocol} is not a web address`;
  check.addIssue({ code: 'custom', message: `must be an https URL: ${why}` });
});

export const platformInputSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-_.]{0,62}$/, 'use lower-case letters, digits, - _ or .'),
    issuer: platformUrl,
    client_id: z.string().min(1),
    deployment_ids: z.array(z.string().min(1)).min(1, 'register at least one deployment id'),
    auth_login_url: platformUrl,
    token_url: platformUrl,
    jwks_url: platformUrl,
  })
  .strict();

export type PlatformInput = z.infer<typeof platformInputSchema>;

export interface Platform extends PlatformInput {
  source: 'config' | 'api';
  createdAt: Date;
  updatedAt: Date;
}

const ltiConfigSchema = z
  .object({
    platforms: z.array(platformInputSchema).default([]),
    /** Days between automatic key rotations; 0 turns automatic rotation off. */
    key_rotation_days: z.number().int().min(0).default(90),
    /** First wait before a failed grade is sent again; it doubles on each failure up to the max. */
    grade_retry_seconds: z.number().positive().default(5),
    grade_retry_max_seconds: z.number().positive().default(3600),
    /** Failed tries after which a grade is given up (and left 'failed' in the outbox). */
    grade_max_attempts: z.number().int().min(1).default(60),
    /**
     * How long a worker holds a learner's grade while it sends it (renewed during a send); after a
     * worker died mid-send, the grade waits this long for another worker to take it over.
     */
    grade_lease_seconds: z.number().min(3).default(60),
    /** Least time between two fetches of a platform's JWKS when a token names an unknown key. */
    jwks_refresh_seconds: z.number().min(0).default(5),
    /**
     * Whether a launch must prove it comes from the browser that started the login (a state cookie, or
     * the platform's postMessage storage): 'preferred' accepts an unproven launch and logs it (Safari in
     * an LMS without postMessage storage has neither); 'required' refuses it. See docs/security.md.
     */
    browser_binding: z.enum(['preferred', 'required']).default('preferred'),
  })
  .strict();

export type LtiSettings = z.infer<typeof ltiConfigSchema>;

/** Parses the raw `lti:` value of the config file; problems name the field. */
export function parseLtiConfig(raw: unknown): LtiSettings {
  const parsed = ltiConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `lti.${i.path.join('.')}: ${i.message}`);
    throw new Error(`the lti section of the config file is invalid: ${problems.join('; ')}`);
  }
  return parsed.data;
}

interface PlatformRow {
  name: string;
  issuer: string;
  client_id: string;
  deployment_ids: string[];
  auth_login_url: string;
  token_url: string;
  jwks_url: string;
  source: 'config' | 'api';
  created_at: Date;
  updated_at: Date;
}

function fromRow(row: PlatformRow): Platform {
  return {
    name: row.name,
    issuer: row.issuer,
    client_id: row.client_id,
    deployment_ids: row.deployment_ids,
    auth_login_url: row.auth_login_url,
    token_url: row.token_url,
    jwks_url: row.jwks_url,
    source: row.source,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class PlatformConflictError extends Error {}

export class PlatformStore {
  constructor(
    private readonly db: Queryable,
    private readonly clock: Clock,
  ) {}

  async list(): Promise<Platform[]> {
    return (await this.db.query<PlatformRow>('SELECT * FROM lti_platforms ORDER BY name')).map(fromRow);
  }

  async get(name: string): Promise<Platform | undefined> {
    const [row] = await this.db.query<PlatformRow>('SELECT * FROM lti_platforms WHERE name = $1', [name]);
    return row ? fromRow(row) : undefined;
  }

  /** Several registrations may share an issuer (one per client id); without a client id, only a unique one matches. */
  async find(issuer: string, clientId?: string): Promise<Platform | undefined> {
    const rows = clientId
      ? await this.db.query<PlatformRow>('SELECT * FROM lti_platforms WHERE issuer = $1 AND client_id = $2', [issuer, clientId])
      : await this.db.query<PlatformRow>('SELECT * FROM lti_platforms WHERE issuer = $1', [issuer]);
    return rows.length === 1 ? fromRow(rows[0]) : undefined;
  }

  /** Creates or replaces a registration. An API write may not replace one that the config file owns. */
  async put(input: PlatformInput, source: 'config' | 'api'): Promise<Platform> {
    const now = this.clock.now();
    const existing = await this.get(input.name);
    if (existing && existing.source === 'config' && source === 'api') {
      throw new PlatformConflictError(`platform ${input.name} comes from the config file; change it there`);
    }
    const clash = await this.find(input.issuer, input.client_id);
    if (clash && clash.name !== input.name) {
      throw new PlatformConflictError(`issuer ${input.issuer} with client id ${input.client_id} is already registered as ${clash.name}`);
    }
    const [row] = await this.db.query<PlatformRow>(
      `INSERT INTO lti_platforms (name, issuer, client_id, deployment_ids, auth_login_url, token_url, jwks_url, source, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
       ON CONFLICT (name) DO UPDATE SET issuer = $2, client_id = $3, deployment_ids = $4, auth_login_url = $5,
         token_url = $6, jwks_url = $7, source = $8, updated_at = $9
       RETURNING *`,
      [input.name, input.issuer, input.client_id, input.deployment_ids, input.auth_login_url, input.token_url, input.jwks_url, source, now],
    );
    return fromRow(row);
  }

  async remove(name: string): Promise<boolean> {
    const existing = await this.get(name);
    if (existing?.source === 'config') throw new PlatformConflictError(`platform ${name} comes from the config file; remove it there`);
    return (await this.db.query('DELETE FROM lti_platforms WHERE name = $1 RETURNING name', [name])).length > 0;
  }

  /** Makes the store match the config file's platforms: adds and updates them, drops config entries no longer listed. */
  async syncFromConfig(platforms: PlatformInput[]): Promise<void> {
    for (const p of platforms) await this.put(p, 'config');
    const names = platforms.map((p) => p.name);
    await this.db.query(`DELETE FROM lti_platforms WHERE source = 'config' AND NOT (name = ANY($1::text[]))`, [names]);
  }
}
