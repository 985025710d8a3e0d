/**
 * Why a stack's history has each entry, as catalogue messages (issue 22): every reason the lifecycle,
 * the sweeps, the warm pools and course staff record names a `history.*` key of locales/en.json and the
 * values it formats. The store writes the key and values beside the English text (migration 017), so the
 * console's timeline and the class view's history say the entry in the reader's language, while the
 * operators' CLI and logs keep the English, which is formatted from en.json and so cannot drift from it.
 *
 * REASONS lists each key with the kind of each value: text (names, a provider's own words), number, or
 * date (milliseconds since the epoch, which JSON keeps and ICU's `date`/`time` formats). A key missing
 * from en.json does not compile; test/unit/history-reasons.test.ts fails when a message's arguments and
 * this list disagree, or when en.json has a `history.*` key listed nowhere here.
 */
import IntlMessageFormat from 'intl-messageformat';
import english from '../../../locales/en.json' with { type: 'json' };
import type { SentenceKey, SentenceValues } from '../../errors/sentence.ts';

type Kind = 'text' | 'number' | 'date';

/** Which provider action failed (a select in the message, so each language names it in its own words). */
export type FailedAction = 'suspend' | 'resume' | 'shelve' | 'unshelve' | 'delete';

export const REASONS = {
  // Requests: a learner, an instructor, an operator or a service asked.
  'history.launchRequested': {},
  'history.relaunchRequested': {},
  'history.suspendRequested': {},
  'history.resumeRequested': {},
  'history.unshelveRequested': {},
  'history.deleteRequested': {},
  'history.resetRequested': {},
  'history.resetAway': { providers: 'text', code: 'text' },
  'history.learnerCameBack': {},
  'history.cameBackBeforeSuspend': {},
  'history.keepaliveBeforeSuspend': {},
  'history.usageLimitReached': { used: 'number', budgetSeconds: 'number' },
  // Workers.
  'history.claimedByWorker': {},
  'history.leaseTakenOver': {},
  'history.created': {},
  'history.suspended': {},
  'history.resumed': {},
  'history.resumedCannotShelve': {},
  'history.woken': {},
  'history.shelved': {},
  'history.deleted': {},
  'history.deletedLeftBehind': { provider: 'text', providerStack: 'text', providerStackId: 'text' },
  'history.relaunchAfterReset': {},
  'history.asReported': { detail: 'text' },
  'history.actionFailed': { action: 'text', detail: 'text' },
  'history.actionFailedNoDetail': { action: 'text' },
  'history.goneFromProvider': {},
  'history.providerGone': { provider: 'text' },
  'history.noProviderStack': {},
  'history.labGone': { lab: 'text' },
  'history.launchFailed': { provider: 'text', detail: 'text' },
  'history.launchFailedNext': { provider: 'text', detail: 'text', next: 'text' },
  'history.providersDisabled': {},
  'history.providersFull': {},
  'history.cannotShelve': { provider: 'text' },
  'history.noRoom': { detail: 'text' },
  'history.deleteNoProvider': { provider: 'text' },
  'history.personalizeFailed': { detail: 'text' },
  // Warm pools.
  'history.poolLaunched': {},
  'history.poolClaimed': {},
  'history.poolClaimedRunning': {},
  'history.poolClaimedResumed': {},
  'history.poolDropped': { why: 'text' },
  'history.poolSuspends': {},
  'history.resetFromPool': {},
  'history.poolTookResetOld': {},
  // Sweeps.
  'history.idle': {},
  'history.budgetDeadline': {},
  'history.dormant': {},
  'history.retrySuspend': {},
  'history.retryShelve': {},
  'history.retryDelete': {},
  'history.abandoned': {},
  'history.watchdog': {},
  'history.reconcilerGone': {},
  'history.reconcilerSuspended': {},
  'history.reconcilerRunning': {},
  // Predictive resume (services/predictive-resume.ts).
  'history.resumedAheadLab': { lab: 'text' },
  'history.resumedAheadCourse': {},
  'history.resumedAheadHabit': {},
  // Staff actions (migration 015).
  'history.watchStarted': {},
  'history.watchStopped': {},
  'history.tookOver': {},
  'history.gaveBack': {},
  'history.watchDesktopStarted': {},
  'history.watchDesktopStopped': {},
  'history.tookOverDesktop': {},
  'history.gaveBackDesktop': {},
  'history.playedRecording': { started: 'date', server: 'text' },
  'history.budgetExtended': { hours: 'number', minutes: 'number', seconds: 'number' },
  'history.budgetExtendedNote': { hours: 'number', minutes: 'number', seconds: 'number', note: 'text' },
} as const satisfies { [K in SentenceKey & `history.${string}`]?: Record<string, Kind> };

export type HistoryReasonKey = keyof typeof REASONS;

/** The reasons a staff action records: all the class view's history dialog shows, so all its page embeds. */
export const STAFF_ACTION_REASONS: readonly HistoryReasonKey[] = [
  'history.watchStarted',
  'history.watchStopped',
  'history.tookOver',
  'history.gaveBack',
  'history.watchDesktopStarted',
  'history.watchDesktopStopped',
  'history.tookOverDesktop',
  'history.gaveBackDesktop',
  'history.playedRecording',
  'history.budgetExtended',
  'history.budgetExtendedNote',
];

type ValueOf<T extends Kind> = T extends 'text' ? string : number;
/** The values a key takes, by name and kind. */
export type HistoryReasonValues<K extends HistoryReasonKey> = { -readonly [P in keyof (typeof REASONS)[K]]: (typeof REASONS)[K][P] extends Kind ? ValueOf<(typeof REASONS)[K][P]> : never };

export interface HistoryReason {
  readonly key: HistoryReasonKey;
  readonly values: SentenceValues;
}

/** A reason for the history: its key, and its values when it takes any (the compiler checks which). */
export function reason<K extends HistoryReasonKey>(key: K, ...values: keyof (typeof REASONS)[K] extends never ? [] : [HistoryReasonValues<K>]): HistoryReason {
  return { key, values: (values[0] ?? {}) as SentenceValues };
}

/** Each English message parsed once: a reason is formatted on every transition a worker or sweep writes. */
const compiled = new Map<HistoryReasonKey, IntlMessageFormat>();

/** The English text: what `stack_events.reason`, the CLI and the logs hold. */
export function reasonText(said: HistoryReason): string {
  let format = compiled.get(said.key);
  if (!format) {
    format = new IntlMessageFormat(english[said.key], 'en');
    compiled.set(said.key, format);
  }
  return String(format.format(said.values));
}

/** "Launch failed" and friends name the action in the message; `detail` is the provider's own words, shown as they came. */
export function actionFailed(action: FailedAction, detail?: string): HistoryReason {
  return detail ? reason('history.actionFailed', { action, detail }) : reason('history.actionFailedNoDetail', { action });
}

/** A provider's own account of a failure when it gave one, else that the action failed. */
export function reportedOr(detail: string | undefined, action: FailedAction): HistoryReason {
  return detail ? reason('history.asReported', { detail }) : actionFailed(action);
}

/** A budget extension, in whole hours, minutes and seconds (each language words the units). */
export function budgetExtended(totalSeconds: number, note: string): HistoryReason {
  const parts = { hours: Math.floor(totalSeconds / 3600), minutes: Math.floor((totalSeconds % 3600) / 60), seconds: totalSeconds % 60 };
  return note ? reason('history.budgetExtendedNote', { ...parts, note }) : reason('history.budgetExtended', parts);
}
