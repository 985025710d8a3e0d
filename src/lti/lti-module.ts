/**
 * The LTI tool's parts, built once by the composition root (`ctx.lti`): the HTTP routes, the jobs,
 * the CLI and the tests share the same object. Nothing here runs on a timer: the HTTP side calls
 * `prepare()` and serves launches, the composition root turns check results into queued grades
 * (`queueGrades()`), and the jobs in src/jobs/lti-jobs.ts send them and do the housekeeping
 * wherever workers run.
 */
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import type { LabCatalog } from '../domain/lab-catalog.ts';
import type { Clock } from '../infra/clock.ts';
import type { DomainEvents } from '../infra/events.ts';
import type { Keys } from '../infra/keys.ts';
import type { CheckCompletedEvent } from '../infra/events.ts';
import { AgsClient } from './ags-client.ts';
import type { BindingEvidence } from './browser-binding.ts';
import { GradeOutbox, type OutboxSettings } from './grade-outbox.ts';
import { LaunchStore } from './launches.ts';
import { LoginStates } from './login-states.ts';
import { PlatformJwks, type JwksCacheOptions } from './platform-jwks.ts';
import { parseLtiConfig, PlatformStore, type LtiSettings } from './platforms.ts';
import { DEFAULT_ROTATION, ToolKeys } from './tool-keys.ts';

/** What the LTI tool needs from the composition root. */
export interface LtiDeps {
  /** Raw `lti:` section of the config file. */
  ltiConfig: unknown;
  db: Database;
  keys: Keys;
  clock: Clock;
  logger: Logger;
  labs: LabCatalog;
  events: DomainEvents;
}

export interface LtiOptions {
  jwks?: JwksCacheOptions;
  outbox?: Partial<OutboxSettings>;
  /** Seconds of clock difference accepted on platform tokens. */
  skewSeconds?: number;
  /** Seconds a login state stays valid. */
  stateTtlSeconds?: number;
  /** Login states held at once (setting max_lti_login_states). */
  maxLoginStates?: number;
}

export interface HousekeepingStats {
  statesRemoved: number;
  keysPruned: number;
  rotatedTo: string | null;
}

export class LtiModule {
  /** Launches by what bound them to the browser that logged in (and those refused for it), since start; for /metrics. */
  readonly bindings: Record<BindingEvidence | 'refused', number> = { cookie: 0, storage: 0, none: 0, refused: 0 };
  readonly settings: LtiSettings;
  readonly platforms: PlatformStore;
  readonly toolKeys: ToolKeys;
  readonly states: LoginStates;
  readonly jwks: PlatformJwks;
  readonly launches: LaunchStore;
  readonly ags: AgsClient;
  readonly outbox: GradeOutbox;
  readonly skewSeconds: number;
  /** Seconds a login state stays valid (the state cookie lives as long). */
  readonly stateTtlSeconds: number;
  private readonly onCheck = (event: CheckCompletedEvent) => {
    this.outbox.enqueue(event).then(
      (queued) => {
        if (!queued) this.ctx.logger.debug({ learner: event.learner, lab: event.lab }, 'lti grades: no LTI line item for this result; not sent');
      },
      (error: Error) => this.ctx.logger.error({ err: error, attemptId: event.attemptId }, `lti grades: could not queue a grade: ${error.message}`),
    );
  };

  constructor(
    readonly ctx: LtiDeps,
    options: LtiOptions = {},
  ) {
    this.settings = parseLtiConfig(ctx.ltiConfig);
    this.platforms = new PlatformStore(ctx.db, ctx.clock);
    this.toolKeys = new ToolKeys(ctx.db, ctx.keys, ctx.clock);
    this.stateTtlSeconds = options.stateTtlSeconds ?? 300;
    this.states = new LoginStates(ctx.db, ctx.clock, this.stateTtlSeconds, options.maxLoginStates);
    this.jwks = new PlatformJwks({ refreshCooldownMs: this.settings.jwks_refresh_seconds * 1000, ...options.jwks });
    this.launches = new LaunchStore(ctx.db);
    this.ags = new AgsClient(this.toolKeys, ctx.clock);
    this.skewSeconds = options.skewSeconds ?? 60;
    this.outbox = new GradeOutbox({
      db: ctx.db,
      clock: ctx.clock,
      logger: ctx.logger.child({ component: 'lti-grades' }),
      launches: this.launches,
      platforms: this.platforms,
      ags: this.ags,
      policyOf: (lab) => ctx.labs.get(lab)?.gradePolicy ?? 'best',
      onQueued: (key) => ctx.events.emit('grade.queued', key),
      settings: {
        backoffBaseMs: this.settings.grade_retry_seconds * 1000,
        backoffMaxMs: this.settings.grade_retry_max_seconds * 1000,
        maxAttempts: this.settings.grade_max_attempts,
        leaseSeconds: this.settings.grade_lease_seconds,
        ...options.outbox,
      },
    });
  }

  /** What the HTTP side needs before the first launch: the config file's platforms stored, a signing key. */
  async prepare(): Promise<void> {
    await this.platforms.syncFromConfig(this.settings.platforms);
    await this.toolKeys.signingKey();
  }

  /** Queues a grade for every check result from an LTI launch, in whichever process the check ran; returns the undo. */
  queueGrades(): () => void {
    this.ctx.events.on('check.completed', this.onCheck);
    return () => this.ctx.events.off('check.completed', this.onCheck);
  }

  /** Expired login states and nonces, retired keys, scheduled key rotation; for the housekeeping job. */
  async housekeeping(): Promise<HousekeepingStats> {
    const statesRemoved = await this.states.sweep();
    const keysPruned = await this.toolKeys.prune();
    let rotatedTo: string | null = null;
    if (this.settings.key_rotation_days > 0) {
      rotatedTo = await this.toolKeys.rotateIfOlderThan(this.settings.key_rotation_days * 86400, DEFAULT_ROTATION);
      if (rotatedTo) this.ctx.logger.info({ kid: rotatedTo }, 'lti: rotated the tool key; the new key signs after a day of being published');
    }
    return { statesRemoved, keysPruned, rotatedTo };
  }
}
