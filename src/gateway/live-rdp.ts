/**
 * The learners' RDP sessions open in this process: guacd's id for each (from its `ready`), per stack and
 * lab server, so course staff can join one to watch it (rdp-shadow-bridge.ts). guacd lets whoever knows
 * the id join the connection, so the id stays on the server: the class API only asks whether a session
 * is live, and the gateway joins it.
 * A session's end is announced to its watchers: guacd keeps an RDP connection (and the learner's login
 * on the lab's desktop) open while any user is still joined, so the watchers must leave with the learner.
 * One process only, like live-terminals.ts: docs/class-view.md says so.
 */

export interface LiveRdp {
  stackId: string;
  server: string;
  /** guacd's connection id (`$…`), what a join's `select` names. */
  connectionId: string;
  /** Calls `listener` once when the learner's session ends (at once if it has); returns the unsubscribe. */
  onEnd(listener: () => void): () => void;
}

class Session implements LiveRdp {
  ended = false;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly stackId: string,
    readonly server: string,
    readonly connectionId: string,
  ) {}

  onEnd(listener: () => void): () => void {
    if (this.ended) {
      listener();
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const listener of [...this.listeners]) listener();
    this.listeners.clear();
  }
}

export class LiveRdpSessions {
  private readonly byStack = new Map<string, Session[]>();

  /** A learner's session reached `ready`; the returned function ends it (idempotent). */
  publish(stackId: string, server: string, connectionId: string): () => void {
    const session = new Session(stackId, server, connectionId);
    const sessions = this.byStack.get(stackId) ?? [];
    sessions.push(session);
    this.byStack.set(stackId, sessions);
    return () => {
      const left = (this.byStack.get(stackId) ?? []).filter((s) => s !== session);
      if (left.length > 0) this.byStack.set(stackId, left);
      else this.byStack.delete(stackId);
      session.end();
    };
  }

  /** The learner's latest live session on `server` (on any server when none is named). */
  find(stackId: string, server?: string): LiveRdp | undefined {
    const sessions = (this.byStack.get(stackId) ?? []).filter((s) => server === undefined || s.server === server);
    return sessions.at(-1);
  }
}
