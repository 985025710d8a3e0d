/**
 * How long a lab may look unused before it suspends, from the deployment's settings and the lab's own
 * (lab.yaml `timeouts`): the idle countdown of the page, the grace after a departure, and how long output
 * alone counts as activity. The benchmark `npm run bench -- cost` chose the defaults (BENCHMARKS.md).
 */
import type { Lab } from './lab.ts';

export interface Idleness {
  /** Seconds without input after which the page stops its keepalives. */
  idleTimeout: number;
  /** Seconds after a departure before the suspend; 0: departures are ignored. */
  departureGrace: number;
  /** Seconds after the last input during which output still counts as activity; 0: never. */
  outputActivity: number;
}

/** The deployment's settings of the same names (config/schema.ts). */
export interface IdlenessSettings {
  idle_timeout: number;
  departure_grace: number;
  output_activity: number;
}

export function idlenessOf(lab: Pick<Lab, 'timeouts'> | undefined, config: IdlenessSettings): Idleness {
  const own = lab?.timeouts;
  return {
    idleTimeout: own?.idle ?? config.idle_timeout,
    departureGrace: own?.departure ?? config.departure_grace,
    outputActivity: own?.outputActivity ?? config.output_activity,
  };
}
