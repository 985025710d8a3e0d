/**
 * The learners' terminal sessions open in this process, so course staff can watch one (shadow) and take
 * it over. A learner's session publishes its shell output here and accepts input only from a watcher
 * that took over; the learner's page is told who is watching through `notify`. One process only: a
 * watcher reaches the learner's session when both sockets reached the same server process (a single
 * `serve`, or a load balancer that routes /gateway by stack id); docs/class-view.md says so.
 */
import { EventEmitter } from 'node:events';
import type { ServerControl } from './socket-messages.ts';

/** What a learner's terminal bridge lends to the hub. */
export interface LearnerTerminalIo {
  stackId: string;
  server: string;
  /** Writes into the learner's shell (only called for a watcher that took over). */
  write(bytes: Buffer): void;
  /** Sends a control message to the learner's page. */
  notify(message: ServerControl): void;
  size(): { cols: number; rows: number };
}

export interface Watcher {
  /** The instructor's id, for the log and the stack history. */
  who: string;
  output(chunk: Buffer): void;
  /** The learner's session ended (the watcher waits for the next one). */
  ended(): void;
}

/** Output kept per session so a watcher who joins sees the screen as it is, not an empty one. */
const REPLAY_BYTES = 64 * 1024;

export class LiveTerminal {
  private readonly watchers = new Set<Watcher>();
  private readonly recent: Buffer[] = [];
  private recentBytes = 0;
  private controller: Watcher | undefined;

  constructor(readonly io: LearnerTerminalIo) {}

  /** The learner's shell wrote `chunk`: keep the tail for late joiners and pass it to every watcher. */
  output(chunk: Buffer): void {
    this.recent.push(chunk);
    this.recentBytes += chunk.length;
    while (this.recentBytes > REPLAY_BYTES && this.recent.length > 1) this.recentBytes -= this.recent.shift()!.length;
    for (const watcher of this.watchers) watcher.output(chunk);
  }

  /** Adds a watcher, replays the recent output to it; returns how to leave. */
  join(watcher: Watcher): () => void {
    this.watchers.add(watcher);
    if (this.recent.length) watcher.output(Buffer.concat(this.recent));
    this.tellLearner();
    return () => {
      if (!this.watchers.delete(watcher)) return;
      if (this.controller === watcher) this.controller = undefined;
      this.tellLearner();
    };
  }

  takeOver(watcher: Watcher): void {
    if (!this.watchers.has(watcher)) return;
    this.controller = watcher;
    this.tellLearner();
  }

  release(watcher: Watcher): void {
    if (this.controller !== watcher) return;
    this.controller = undefined;
    this.tellLearner();
  }

  /** A watcher's keystrokes reach the shell only while that watcher holds the take-over. */
  input(watcher: Watcher, bytes: Buffer): boolean {
    if (this.controller !== watcher) return false;
    this.io.write(bytes);
    return true;
  }

  /** The learner's session ended: every watcher is told and let go. */
  end(): void {
    const watchers = [...this.watchers];
    this.watchers.clear();
    this.controller = undefined;
    for (const watcher of watchers) watcher.ended();
  }

  private tellLearner(): void {
    this.io.notify({ type: 'presence', watchers: this.watchers.size, takenOver: this.controller !== undefined });
  }
}

export class LiveTerminals {
  private readonly byStack = new Map<string, LiveTerminal[]>();
  private readonly opened = new EventEmitter();

  constructor() {
    this.opened.setMaxListeners(0);
  }

  /** A learner's shell opened: published until the returned function is called. */
  publish(io: LearnerTerminalIo): { live: LiveTerminal; unpublish: () => void } {
    const live = new LiveTerminal(io);
    this.byStack.set(io.stackId, [...(this.byStack.get(io.stackId) ?? []), live]);
    this.opened.emit(io.stackId, live);
    return {
      live,
      unpublish: () => {
        const left = (this.byStack.get(io.stackId) ?? []).filter((l) => l !== live);
        if (left.length) this.byStack.set(io.stackId, left);
        else this.byStack.delete(io.stackId);
        live.end();
      },
    };
  }

  /** The stack's most recent session (a watcher follows the learner from server to server). */
  find(stackId: string): LiveTerminal | undefined {
    return this.byStack.get(stackId)?.at(-1);
  }

  /** Calls `listener` for each session the stack opens from now on; returns how to stop. */
  onOpen(stackId: string, listener: (live: LiveTerminal) => void): () => void {
    this.opened.on(stackId, listener);
    return () => this.opened.off(stackId, listener);
  }
}
