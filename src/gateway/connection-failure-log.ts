/**
 * Logs a lab connection that keeps failing once, at warn, with its cause, instead of a line at info for
 * every retry of the page (one every few seconds for as long as the tab stays open). The same cause for
 * the same stack, server and kind is logged again only at debug, until a connection succeeds or the
 * cause changes. Kept per process and bounded: the oldest entry goes when it is full.
 */
import type { Logger } from 'pino';
import { UserFacingError } from '../errors/user-facing-error.ts';

/** What a bridge reports about its connection to the lab. */
export interface ConnectionReport {
  failed(what: string, error: Error): void;
  connected(): void;
}

export class ConnectionFailureLog {
  private readonly causes = new Map<string, string>();

  constructor(private readonly maxEntries = 10_000) {}

  /** The report for one connection: key names the stack, server and kind it goes to. */
  report(key: string, logger: Logger): ConnectionReport {
    return {
      failed: (what, error) => {
        const cause = causeOf(error);
        if (this.causes.get(key) === cause) {
          logger.debug({ err: cause }, `${what} again, for the same cause`);
          return;
        }
        this.causes.delete(key);
        if (this.causes.size >= this.maxEntries) this.causes.delete(this.causes.keys().next().value as string);
        this.causes.set(key, cause);
        logger.warn({ err: cause }, `${what}; the page retries, and further failures for this cause are logged at debug until it connects`);
      },
      connected: () => {
        this.causes.delete(key);
      },
    };
  }

  get size(): number {
    return this.causes.size;
  }
}

/** The cause for the log: a user-facing error's code and detail (its message is the page's sentence). */
function causeOf(error: Error): string {
  if (error instanceof UserFacingError) return `${error.code}: ${error.detail ?? error.message}`;
  return error.message;
}

/** For a bridge used without a gateway (tests, tools): every failure at info, as before. */
export function plainReport(logger: Logger): ConnectionReport {
  return { failed: (what, error) => logger.info({ err: error.message }, what), connected: () => undefined };
}
