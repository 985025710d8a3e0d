/**
 * Versioned migrations, applied in order inside one transaction each, recorded in schema_migrations.
 * Add a file under migrations/ and one line here; never edit an applied migration.
 */
import type { Database } from './database.ts';
import { sql as stacks } from './migrations/001-stacks.ts';
import { sql as checks } from './migrations/002-checks.ts';
import { sql as lti } from './migrations/003-lti.ts';
import { sql as activityHot } from './migrations/004-activity-hot.ts';
import { sql as stackChanged } from './migrations/005-stack-changed.ts';
import { sql as legalTransitions } from './migrations/006-legal-transitions.ts';
import { sql as deployment } from './migrations/007-deployment.ts';
import { sql as gradeOutboxLeaseOwner } from './migrations/008-grade-outbox-lease-owner.ts';
import { sql as learnerLaunches } from './migrations/009-learner-launches.ts';
import { sql as shelvedTier } from './migrations/010-shelved-tier.ts';
import { sql as consoleTables } from './migrations/011-console.ts';
import { sql as terminalRecordings } from './migrations/012-terminal-recordings.ts';
import { sql as usage } from './migrations/013-usage.ts';
import { sql as departure } from './migrations/014-departure.ts';
import { sql as staffActions } from './migrations/015-staff-actions.ts';
import { sql as warmPools } from './migrations/016-warm-pools.ts';
import { sql as historyReasonKeys } from './migrations/017-history-reason-keys.ts';
import { sql as classSchedules } from './migrations/018-class-schedules.ts';
import { sql as oidcSessions } from './migrations/019-oidc-sessions.ts';
import { sql as scheduleTimeZone } from './migrations/020-schedule-time-zone.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  { version: 1, name: 'stacks', sql: stacks },
  { version: 2, name: 'checks', sql: checks },
  { version: 3, name: 'lti', sql: lti },
  { version: 4, name: 'activity-hot', sql: activityHot },
  { version: 5, name: 'stack-changed', sql: stackChanged },
  { version: 6, name: 'legal-transitions', sql: legalTransitions },
  { version: 7, name: 'deployment', sql: deployment },
  { version: 8, name: 'grade-outbox-lease-owner', sql: gradeOutboxLeaseOwner },
  { version: 9, name: 'learner-launches', sql: learnerLaunches },
  { version: 10, name: 'shelved-tier', sql: shelvedTier },
  { version: 11, name: 'console', sql: consoleTables },
  { version: 12, name: 'terminal-recordings', sql: terminalRecordings },
  { version: 13, name: 'usage', sql: usage },
  { version: 14, name: 'departure', sql: departure },
  { version: 15, name: 'staff-actions', sql: staffActions },
  { version: 16, name: 'warm-pools', sql: warmPools },
  { version: 17, name: 'history-reason-keys', sql: historyReasonKeys },
  { version: 18, name: 'class-schedules', sql: classSchedules },
  { version: 19, name: 'oidc-sessions', sql: oidcSessions },
  { version: 20, name: 'schedule-time-zone', sql: scheduleTimeZone },
];

/** The advisory lock every migrating process takes (the LTI login states use their own, see login-states.ts). */
const MIGRATIONS_LOCK = 7412001;

/** The migrations not yet applied to this store (all of them on an empty one). */
export async function pendingMigrations(db: Database, migrations: Migration[] = MIGRATIONS): Promise<Migration[]> {
  const table = await db.query<{ present: boolean }>(`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`);
  if (!table[0]?.present) return [...migrations];
  const done = new Set((await db.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => Number(r.version)));
  return migrations.filter((m) => !done.has(m.version));
}

export async function migrate(db: Database, migrations: Migration[] = MIGRATIONS): Promise<number[]> {
  // Under the lock too: two starters' CREATE TABLE IF NOT EXISTS on an empty database race in PostgreSQL's
  // catalogue (the loser fails on pg_type_typname_nsp_index instead of finding the table there).
  await db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATIONS_LOCK})`);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  });
  const applied: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    await db.transaction(async (tx) => {
      // The advisory lock makes concurrent starters (several workers on one PostgreSQL) migrate once.
      await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATIONS_LOCK})`);
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
      if (done.length) return;
      for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      applied.push(migration.version);
    });
  }
  return applied;
}

/**
 * Migrations hold DDL without semicolons inside strings; function bodies are $$-quoted, and semicolons
 * inside those stay, so a split on the others is enough.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let inBody = false;
  for (const part of sql.split(/(\$\$|;)/)) {
    if (part === '$$') inBody = !inBody;
    if (part === ';' && !inBody) {
      statements.push(current);
      current = '';
    } else {
      current += part;
    }
  }
  statements.push(current);
  return statements.map((s) => s.trim()).filter(Boolean);
}
