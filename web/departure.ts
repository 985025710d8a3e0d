/**
 * The page's goodbye: when it goes away (pagehide: the tab closed, the page left, the LMS navigated
 * on), it sends a beacon with its departure token, and the server suspends the stack after the lab's
 * grace unless activity follows (docs/learner-page.md, "Departure"). A beacon carries no
 * Authorization header, hence the token (fetched with the session, renewed before it runs out).
 *
 * Other pages of the same stack in this browser hear the goodbye on a BroadcastChannel and, if their
 * learner is active, send a keepalive at once (a background tab's timers may be throttled to once a
 * minute, longer than the grace), a moment later so that it lands after the beacon.
 */
import type { Api } from './api-client.ts';

const BEACON_PATH = '/api/v1/departures';
/** Renewed when less than this is left, so an idle page still holds a valid one when it closes. */
const RENEW_BEFORE_MS = 10 * 60_000;
/** The keepalive of a page that stays waits this long, so that it reaches the server after the beacon. */
const ANSWER_DELAY_MS = 2000;

interface Goodbye {
  type: 'departed';
  stack: string;
}

export class Departure {
  private token: { stack: string; value: string; renewAt: number } | undefined;
  private fetching = false;
  private readonly channel: BroadcastChannel | undefined;

  constructor(
    private readonly api: Api,
    private readonly stackId: () => string | undefined,
    /** Another page of this stack left; `keepalive` when this page's learner is active. */
    private readonly otherPageLeft: () => void,
  ) {
    this.channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('stacklab.departures') : undefined;
    this.channel?.addEventListener('message', (event: MessageEvent<Goodbye>) => {
      if (event.data?.type === 'departed' && event.data.stack === this.stackId()) window.setTimeout(this.otherPageLeft, ANSWER_DELAY_MS);
    });
    window.addEventListener('pagehide', () => this.leave());
  }

  /** Called every tick: fetches a token for the current stack when there is none or it runs out soon. */
  refresh(): void {
    const stack = this.stackId();
    if (!stack || this.fetching) return;
    if (this.token && this.token.stack === stack && Date.now() < this.token.renewAt) return;
    this.fetching = true;
    this.api
      .post<{ token: string; expiresIn: number }>(`/api/v1/me/stacks/${stack}/departure-token`)
      .then((answer) => {
        this.token = { stack, value: answer.token, renewAt: Date.now() + Math.max(answer.expiresIn * 1000 - RENEW_BEFORE_MS, answer.expiresIn * 500) };
      })
      .catch(() => {})
      .finally(() => (this.fetching = false));
  }

  private leave(): void {
    const stack = this.stackId();
    if (!stack || !this.token || this.token.stack !== stack) return;
    navigator.sendBeacon(BEACON_PATH, this.token.value);
    this.channel?.postMessage({ type: 'departed', stack } satisfies Goodbye);
  }
}
