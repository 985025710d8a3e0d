/**
 * The lab page's long-poll of its stack's status (GET /api/v1/me/stacks/:id?wait=&since=): the server
 * answers as soon as the stack differs from what the page has, so the page learns of READY within
 * moments instead of at its next poll (issue 21). One wait at a time; a new status the page got some
 * other way (a keepalive, a launch) replaces the wait only when it differs from the one waited on.
 *
 * Waiting is an optimisation: when a wait fails (the server's waiters are full, a proxy cut it, the
 * network dropped), `follow` says no for a while and the page polls in its ordinary way.
 */
import { ApiError, type Api } from './api-client.ts';
import type { StackView } from '../src/http/routes/learner-view.ts';

/** How long the page polls in the ordinary way after a wait failed, before it tries waiting again. */
const POLL_ONLY_MS = 60_000;

export class StatusWait {
  private inFlight: { since: string; abort: AbortController } | null = null;
  private pollOnlyUntil = 0;

  constructor(
    private readonly api: Api,
    private readonly on: { status(next: StackView): void; failed(error: unknown): void },
  ) {}

  /**
   * Waits up to `seconds` for `current` to change and hands the answer to `on.status`; false (and no
   * wait) when the page should poll instead: after a failed wait, or when the server sends no `version`.
   */
  follow(current: StackView, seconds: number): boolean {
    if (!current.version || Date.now() < this.pollOnlyUntil) {
      this.stop();
      return false;
    }
    if (this.inFlight?.since === current.version) return true;
    this.stop();
    const mine = { since: current.version, abort: new AbortController() };
    this.inFlight = mine;
    const started = Date.now();
    const path = `/api/v1/me/stacks/${encodeURIComponent(current.id)}?wait=${seconds}&since=${encodeURIComponent(mine.since)}`;
    this.api.get<StackView>(path, mine.abort.signal).then(
      (next) => {
        if (this.inFlight !== mine) return;
        this.inFlight = null;
        // Unchanged long before the limit: the server let its waiters go (it is closing) or does not wait; poll.
        if (next.version === mine.since && Date.now() - started < seconds * 500) this.pollOnlyUntil = Date.now() + POLL_ONLY_MS;
        this.on.status(next);
      },
      (error: unknown) => {
        if (this.inFlight !== mine) return;
        this.inFlight = null;
        if (!(error instanceof ApiError && error.status === 401)) this.pollOnlyUntil = Date.now() + POLL_ONLY_MS;
        this.on.failed(error);
      },
    );
    return true;
  }

  /** Drops the wait in flight, if any (its answer is ignored). */
  stop(): void {
    const current = this.inFlight;
    this.inFlight = null;
    current?.abort.abort();
  }
}
