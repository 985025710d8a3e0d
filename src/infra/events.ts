/** In-process domain events: other modules (grade passback, metrics) listen instead of being called. */
import { EventEmitter } from 'node:events';
import type { Stack } from '../domain/stack.ts';
import type { StackState } from '../domain/states.ts';

export interface TransitionEvent {
  stack: Stack;
  from: StackState | null;
  to: StackState;
  reason: string;
  /** When the operation this transition ends was requested, when the emitter knows it (a worker's claim read it); else it is read from the event log. */
  requestedAt?: Date | null;
}

export interface CheckCompletedEvent {
  stackId: string;
  learner: string;
  context: string;
  lab: string;
  /** Weighted score in [0, 1]. */
  score: number;
  maxScore: 1;
  passed: number;
  total: number;
  at: Date;
  attemptId: string;
}

/** A grade was written to the LTI grade outbox; a grade sender in this process can start at once. */
export interface GradeQueuedEvent {
  learner: string;
  context: string;
  lab: string;
}

interface EventMap {
  'stack.transition': [TransitionEvent];
  'check.completed': [CheckCompletedEvent];
  'grade.queued': [GradeQueuedEvent];
}

export class DomainEvents extends EventEmitter<EventMap> {}
