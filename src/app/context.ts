/**
 * Everything a request handler, a job or a command needs, built once and in order by the composition
 * root (create-context.ts). Only the outer layers (http/, gateway/ routes, cli/) take the whole
 * context; everything below declares the few parts it needs, so it cannot reach upward through it.
 */
import type { WarmPools } from '../services/warm-pools.ts';
import type { ClassSchedules } from '../services/class-schedules.ts';
import type { PredictiveResume } from '../services/predictive-resume.ts';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { CheckService } from '../checks/check-service.ts';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/database.ts';
import type { LabCatalog } from '../domain/lab-catalog.ts';
import type { Clock } from '../infra/clock.ts';
import type { DomainEvents } from '../infra/events.ts';
import type { Keys } from '../infra/keys.ts';
import type { LiveTerminals } from '../gateway/live-terminals.ts';
import type { DesktopWatchers } from '../gateway/desktop-watchers.ts';
import type { LiveRdpSessions } from '../gateway/live-rdp.ts';
import type { LtiModule } from '../lti/lti-module.ts';
import type { Recordings } from '../recordings/recordings.ts';
import type { ProviderRegistry } from '../providers/provider-registry.ts';
import type { LifecycleHooks } from '../services/lifecycle-hooks.ts';
import type { StackService } from '../services/stack-service.ts';
import type { OperatorAccounts } from '../services/operator-accounts.ts';

/** A lab that did not load; `waitingForProvider` holds its title when only a provider is missing. */
export interface LabLoadFailure {
  file: string;
  message: string;
  waitingForProvider?: { title: string };
}

export interface AppContext {
  config: Config;
  /** This deployment's id (db/deployment.ts): in the name and tag of every stack it creates. */
  deployment: string;
  /** Raw `lti:` section of the config file, read by lti/. */
  ltiConfig: unknown;
  logger: Logger;
  db: Database;
  keys: Keys;
  clock: Clock;
  labs: LabCatalog;
  providers: ProviderRegistry;
  stacks: StackService;
  events: DomainEvents;
  /** The lab hook scripts, as Operations runs them around suspend, resume and delete. */
  lifecycleHooks: LifecycleHooks;
  /** The labs' warm pools (docs/pools.md): the filler and what the pools hold. */
  pools: WarmPools;
  /** Class times that size the pools ahead of each class (docs/pools.md, "Schedules"). */
  schedules: ClassSchedules;
  /** Resumes a learner's stacks before the page asks (docs/pools.md, "Predictive resume"). */
  predictive: PredictiveResume;
  /** Progress checks: one per process, so a run in flight is joined rather than started twice. */
  checks: CheckService;
  /** The LTI tool: one per process, shared by the routes, the jobs and the CLI. */
  lti: LtiModule;
  /** Learners' terminal sessions open in this process, for shadowing. */
  liveTerminals: LiveTerminals;
  /** Course staff watching learners' desktops in this process; the learner's status poll tells them. */
  desktopWatchers: DesktopWatchers;
  /** Learners' RDP sessions open in this process (guacd's ids), for course staff to join and watch. */
  liveRdp: LiveRdpSessions;
  /** Terminal recordings (asciicast v2) and their retention. */
  recordings: Recordings;
  /** Why the local runtime is off, when it is (shown by `serve` and the demo page). */
  notices: string[];
  /** Labs whose lab.yaml did not load, with why (shown by /readyz). */
  labErrors: LabLoadFailure[];
  /** The staff console's operator accounts and sessions (docs/console.md). */
  operators: OperatorAccounts;
  /** This process's Prometheus registry (infra/metrics.ts), served at /metrics. */
  metrics: Registry;
}
