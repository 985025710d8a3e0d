/** Scoring and grading are pure functions of the results, so the API, the CLI and LTI agree on a number. */

export interface CheckResult {
  /** Position of the check in the lab's list. */
  index: number;
  title: string;
  passed: boolean;
  weight: number;
  /** Why it failed, for the learner: the script's stderr, else the lab's hint, else a plain sentence. */
  hint?: string;
  timedOut: boolean;
  durationMs: number;
  server?: string;
}

export interface Score {
  passed: number;
  total: number;
  /** Weighted score in [0, 1]. */
  score: number;
}

export function scoreResults(results: readonly Pick<CheckResult, 'passed' | 'weight'>[]): Score {
  const total = results.length;
  const passed = results.filter((r) => r.passed).length;
  const weightSum = results.reduce((sum, r) => sum + r.weight, 0);
  const earned = results.reduce((sum, r) => sum + (r.passed ? r.weight : 0), 0);
  // No checks (or zero weights) cannot be earned; 0 keeps the grade honest rather than handing out full marks.
  const raw = weightSum > 0 ? earned / weightSum : 0;
  return { passed, total, score: Math.min(1, Math.max(0, Math.round(raw * 1e6) / 1e6)) };
}

/** The grade of a learner for a lab from the scores of their attempts, oldest first, per the lab's grade policy. */
export function gradeOf(scores: readonly number[], policy: 'best' | 'latest'): number | null {
  if (scores.length === 0) return null;
  return policy === 'best' ? Math.max(...scores) : scores[scores.length - 1];
}
