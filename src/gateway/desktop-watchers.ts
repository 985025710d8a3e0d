/**
 * Who from the course staff is watching a learner's desktop, per stack, in this process. A desktop has
 * no message channel to the learner's page beside its RFB stream (noVNC reads every frame as RFB), so
 * the page learns it from its status poll (GET /api/v1/me/stacks/:id, `staff`), which reads it here.
 * One process only, like the terminals' live-terminals.ts: docs/class-view.md says so.
 */

/** What the learner's page is told: how many watch, and whether one of them has taken over. */
export interface DesktopPresence {
  watchers: number;
  takenOver: boolean;
}

export interface DesktopWatch {
  /** This watcher's take-over started or ended. */
  takeOver(taking: boolean): void;
  leave(): void;
}

export class DesktopWatchers {
  private readonly byStack = new Map<string, Map<symbol, boolean>>();

  watch(stackId: string): DesktopWatch {
    const id = Symbol('watcher');
    const watching = this.byStack.get(stackId) ?? new Map<symbol, boolean>();
    watching.set(id, false);
    this.byStack.set(stackId, watching);
    return {
      takeOver: (taking) => {
        if (watching.has(id)) watching.set(id, taking);
      },
      leave: () => {
        watching.delete(id);
        if (watching.size === 0 && this.byStack.get(stackId) === watching) this.byStack.delete(stackId);
      },
    };
  }

  /** Undefined while nobody watches, so the learner's status answer carries nothing then. */
  presence(stackId: string): DesktopPresence | undefined {
    const watching = this.byStack.get(stackId);
    if (!watching?.size) return undefined;
    return { watchers: watching.size, takenOver: [...watching.values()].includes(true) };
  }
}
