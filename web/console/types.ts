/** The shapes /console/api answers with, as the page reads them (dates arrive as ISO strings). */
import type { LiveCounts } from '../../src/services/console-overview.ts';

// The server's own type: it holds no dates, so the page reads it as sent and cannot drift from it.
export type { LiveCounts };

export interface StackItem {
  id: string;
  learner: string;
  context: string;
  lab: string;
  state: string;
  provider: string | null;
  publicIp: string | null;
  outputs: Record<string, unknown>;
  error: string | null;
  errorCode: string | null;
  lastActivityAt: string;
  stateChangedAt: string;
  createdAt: string;
}

export interface StackEventItem {
  id: number;
  /** A state change, or something staff did that moved no state (a take-over, a budget extension). */
  kind: 'transition' | 'staff_action';
  fromState: string | null;
  toState: string;
  reason: string;
  actor: string;
  at: string;
}

export interface CheckItem {
  id: string;
  status: string;
  actor: string;
  startedAt: string;
  finishedAt: string | null;
  passed: number | null;
  total: number | null;
  score: number | null;
  error: string | null;
  results: { title: string; passed: boolean; timedOut: boolean }[];
}

export interface GradeItem {
  score: number;
  status: string;
  scoredAt: string;
  sentAt: string | null;
  lastError: string | null;
}

export interface Overview {
  providers: { name: string; kind: string; health: string; used: number; capacity: number | null; left: number | null; failures: { code: string; count: number; last: string }[] }[];
  labs: { loaded: { id: string; title: string; protocol: string; providers: string[] }[]; failed: { file: string; reason: string; waitingForProvider: boolean }[] };
  counts: LiveCounts;
}
