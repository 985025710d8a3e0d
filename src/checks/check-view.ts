/**
 * What the API returns about check runs. The service API (operators, the LMS side) sees everything; a
 * learner sees what the lab's options allow, as in hastexo: `show_feedback: false` hides the per-check
 * results and the score, `show_hints_on_error: false` hides the hints.
 */
import type { Lab } from '../domain/lab.ts';
import { translator } from '../infra/i18n/catalogues.ts';
import { recognise } from '../infra/i18n/recognise.ts';
import type { CheckRun } from './check-store.ts';
import type { CheckStatus } from './check-service.ts';

export interface CheckRunView {
  id: string;
  status: CheckRun['status'];
  startedAt: string;
  finishedAt: string | null;
  passed?: number | null;
  total?: number | null;
  score?: number | null;
  results?: Array<{ title: string; passed: boolean; hint?: string; timedOut: boolean; server?: string }>;
  error: string | null;
}

export interface CheckStatusView {
  label: string;
  heading: string;
  showFeedback: boolean;
  latest: CheckRunView | null;
  grade?: number | null;
  gradePolicy: 'best' | 'latest';
  attempts: number;
}

/** How a stored sentence is shown: as stored (English), or in the reader's language. */
export type Say = (text: string) => string;

/**
 * stacklab's own framing of a run (its error, the hints it writes when a check fails without one of the
 * author's) in `locale`; the author's hints and the scripts' output are shown as they are.
 */
export function sayIn(locale: string | undefined): Say {
  if (!locale) return (text) => text;
  const t = translator(locale);
  return (text) => {
    const found = recognise(text, ['check.run.', 'check.hint.']);
    return found ? t(found.key, found.values) : text;
  };
}

export function runView(run: CheckRun, lab: Lab | undefined, audience: 'service' | 'learner', say: Say = (text) => text): CheckRunView {
  const base: CheckRunView = {
    id: run.id,
    status: run.status,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    error: run.error === null ? null : say(run.error),
  };
  const feedback = audience === 'service' || (lab?.showFeedback ?? true);
  if (!feedback) return base;
  const hints = audience === 'service' || (lab?.showHintsOnError ?? true);
  return {
    ...base,
    passed: run.passed,
    total: run.total,
    score: run.score,
    results: run.results.map((r) => ({
      title: r.title,
      passed: r.passed,
      timedOut: r.timedOut,
      ...(r.server ? { server: r.server } : {}),
      ...(hints && r.hint ? { hint: say(r.hint) } : {}),
    })),
  };
}

export function statusView(status: CheckStatus, lab: Lab | undefined, audience: 'service' | 'learner', say?: Say): CheckStatusView {
  const feedback = audience === 'service' || (lab?.showFeedback ?? true);
  return {
    label: lab?.progressCheckLabel ?? 'Check progress',
    heading: lab?.progressCheckResultHeading ?? 'Progress check result',
    showFeedback: lab?.showFeedback ?? true,
    latest: status.latest ? runView(status.latest, lab, audience, say) : null,
    ...(feedback ? { grade: status.grade } : {}),
    gradePolicy: status.gradePolicy,
    attempts: status.attempts,
  };
}
