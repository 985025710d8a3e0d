/** Everything a request handler, a job or a command needs, built once by the composition root. */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/database.ts';
import type { Lab } from '../domain/lab.ts';
import type { Stack } from '../domain/stack.ts';
import type { Provider } from '../providers/provider.ts';
import type { Clock } from '../services/clock.ts';
import type { DomainEvents } from '../services/events.ts';
import type { Keys } from '../services/keys.ts';
import type { StackService } from '../services/stack-service.ts';

export interface LabCatalog {
  get(id: string): Lab | undefined;
  list(): Lab[];
}

export interface ProviderRegistry {
  get(name: string): Provider | undefined;
  list(): Provider[];
}

/** Scripts run in a stack around lifecycle events (filled in by checks/hooks.ts); failures are only logged. */
export interface LifecycleHooks {
  beforeSuspend?(stack: Stack): Promise<void>;
  afterResume?(stack: Stack): Promise<void>;
  beforeDelete?(stack: Stack): Promise<void>;
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
  lifecycleHooks: LifecycleHooks;
  /** Why the local runtime is off, when it is (shown by `serve` and the demo page). */
  notices: string[];
}

export function mapCatalog(labs: Iterable<Lab>): LabCatalog {
  const byId = new Map([...labs].map((lab) => [lab.id, lab]));
  return { get: (id) => byId.get(id), list: () => [...byId.values()] };
}

export function mapRegistry(providers: Provider[]): ProviderRegistry {
  const byName = new Map(providers.map((p) => [p.name, p]));
  return { get: (name) => byName.get(name), list: () => [...byName.values()] };
}
