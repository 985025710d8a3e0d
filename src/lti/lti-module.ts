/**
 * The LTI tool's parts wired from the AppContext once: the HTTP routes, the CLI and the tests use
 * the same object. `start()` syncs the config file's platforms, makes sure a signing key exists and
 * starts grade passback (the listener on 'check.completed' and the outbox sender); `stop()` undoes it.
 */
import type { AppContext } from '../app/context.ts';
import type { CheckCompletedEvent } from '../services/events.ts';
import { AgsClient } from './ags-client.ts';
import { GradeOutbox, type OutboxSettings } from './grade-outbox.ts';
import { LaunchStore } from './launches.ts';
import { LoginStates } from './login-states.ts';
import { PlatformJwks, type JwksCacheOptions } from './platform-jwks.ts';
import { parseLtiConfig, PlatformStore, type LtiSettings } from './platforms.ts';
import { DEFAULT_ROTATION, ToolKeys } from './tool-keys.ts';

export interface LtiOptions {
  jwks?: JwksCacheOptions;
  outbox?: Partial<OutboxSettings>;
  /** Seconds of clock difference accepted on platform tokens. */
  skewSeconds?: number;
  /** Seconds a login state stays valid. */
  stateTtlSeconds?: number;
}

export class LtiModule {
  readonly settings: LtiSettings;
  readonly platforms: PlatformStore;
  readonly toolKeys: ToolKeys;
  readonly states: LoginStates;
  readonly jwks: PlatformJwks;
  readonly launches: LaunchStore;
  readonly ags: AgsClient;
  readonly outbox: GradeOutbox;
  readonly skewSeconds: number;
  private readonly onCheck = (event: CheckCompletedEvent) => {
    this.outbox.enqueue(event).then(
      (queued) => {
        if (!queued) this.ctx.logger.debug({ learner: event.learner, lab: event.lab }, 'lti grades: no LTI line item for this result; not sent');
      },
      (error: Error) => this.ctx.logger.error({ err: error, attemptId: event.attemptId }, `lti grades: could not queue a grade: ${error.message}`),
    );
  };
  private maintenance: NodeJS.Timeout | undefined;

  constructor(
    readonly ctx: AppContext,
    options: LtiOptions = {},
  ) {
    this.settings = parseLtiConfig(ctx.ltiConfig);
    this.platforms = new PlatformStore(ctx.db, ctx.clock);
    this.toolKeys = new ToolKeys(ctx.db, ctx.keys, ctx.clock);
    this.states = new LoginStates(ctx.db, ctx.clock, options.stateTtlSeconds ?? 300);
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
      settings: {
        backoffBaseMs: this.settings.grade_retry_seconds * 1000,
        backoffMaxMs: this.settings.grade_retry_max_seconds * 1000,
        maxAttempts: this.settings.grade_max_attempts,
        ...options.outbox,
      },
    });
  }

  async start(): Promise<void> {
    await this.platforms.syncFromConfig(this.settings.platforms);
    await this.toolKeys.signingKey();
    this.ctx.events.on('check.completed', this.onCheck);
    this.outbox.start();
    // Housekeeping: expired states and nonces, retired keys, scheduled key rotation.
    this.maintenance = setInterval(() => void this.housekeeping(), 10 * 60_000);
    this.maintenance.unref?.();
  }

  async stop(): Promise<void> {
    this.ctx.events.off('check.completed', this.onCheck);
    if (this.maintenance) clearInterval(this.maintenance);
    await this.outbox.stop();
  }

  async housekeeping(): Promise<void> {
    try {
      await this.states.sweep();
      await this.toolKeys.prune();
      if (this.settings.key_rotation_days > 0) {
        const kid = await this.toolKeys.rotateIfOlderThan(this.settings.key_rotation_days * 86400, DEFAULT_ROTATION);
        if (kid) this.ctx.logger.info({ kid }, 'lti: rotated the tool key; the new key signs after a day of being published');
      }
    } catch (error) {
      this.ctx.logger.error({ err: error }, `lti: housekeeping failed: ${(error as Error).message}`);
    }
  }
}
