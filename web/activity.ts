/**
 * Is the learner here? Input anywhere in the page (keys, pointer, wheel, touch, terminal data) counts.
 * The page sends keepalives only while the last input is younger than idle_timeout, so a forgotten tab
 * lets the lab suspend; input after a suspend is the learner coming back.
 */
const EVENTS = ['keydown', 'mousedown', 'pointermove', 'wheel', 'touchstart'] as const;

export class Activity {
  private last = Date.now();
  private readonly returning = new Set<() => void>();

  constructor(private readonly idleTimeoutMs: number) {
    let lastMove = 0;
    for (const type of EVENTS) {
      document.addEventListener(
        type,
        () => {
          // Pointer moves arrive by the hundred; one a second is plenty.
          if (type === 'pointermove' && Date.now() - lastMove < 1000) return;
          lastMove = Date.now();
          this.touch();
        },
        { capture: true, passive: true },
      );
    }
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.touch();
    });
  }

  touch(): void {
    this.last = Date.now();
    for (const fn of this.returning) fn();
  }

  get active(): boolean {
    return Date.now() - this.last < this.idleTimeoutMs;
  }

  get idleForMs(): number {
    return Date.now() - this.last;
  }

  /** Calls `fn` on every input; the controller uses it to resume a suspended lab. */
  onInput(fn: () => void): void {
    this.returning.add(fn);
  }
}
