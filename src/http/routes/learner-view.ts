/**
 * What the lab page shows about a stack and a lab: only what a learner may see (no address, no key, no
 * password), with the state put in plain words and what to do next. Pure functions of (stack, lab, now).
 */
import type { DesktopPresence } from '../../gateway/desktop-watchers.ts';
import type { Config } from '../../config/schema.ts';
import type { Lab } from '../../domain/lab.ts';
import type { Stack } from '../../domain/stack.ts';
import type { StackState } from '../../domain/states.ts';
import type { BudgetStatus } from '../../domain/usage-budget.ts';
import { labServers } from '../../domain/lab-servers.ts';
import { labFileUrl } from './lab-files.ts';
import { renderInstructions } from './learner-markdown.ts';
import { bestMatch } from '../../infra/i18n/negotiate.ts';
import { inEnglish, sentence as catalogueSentence } from '../../errors/sentence.ts';

export type Phase = 'starting' | 'ready' | 'suspending' | 'suspended' | 'resuming' | 'deleting' | 'deleted' | 'failed';

export interface StackView {
  id: string;
  lab: string;
  state: StackState;
  phase: Phase;
  /** What is happening, in a sentence. */
  message: string;
  /** The failure in plain words, and what to do about it (English; the page builds its own from `failure`). */
  error: string | null;
  /** The failure as the provider reported it, untranslated; null unless the stack failed. */
  failure: string | null;
  /**
   * The same failure as a history catalogue key and its values, for the page to say in its language (the
   * provider's own words stay as they are, inside the values); null when the failure predates the keys.
   * Absent from the keepalive's answer (a failed stack is not kept alive).
   */
  failureSaid?: { key: string; values: Record<string, string | number> } | null;
  /** What kind of failure (docs/errors.md), when the page has its own advice for it; null otherwise. */
  errorCode: 'PROVIDER_FULL' | 'PROVIDER_GONE' | null;
  action: 'none' | 'resume' | 'retry' | 'reset';
  stateChangedAt: string;
  /**
   * Which state, entered when: what the page sends back as `since` when it waits for the next change
   * (GET /api/v1/me/stacks/:id?wait=...). Opaque to the page.
   */
  version: string;
  createdAt: string;
  suspendAt: string | null;
  serverNow: string;
  /**
   * How long waking the lab typically takes, in seconds, when that is longer than a resume: a shelved lab
   * (the median of its provider's recent wake-ups, else the provider's configured estimate; docs/openstack.md).
   * Null otherwise.
   */
  wakeEstimateSeconds: number | null;
  /**
   * The learner's time budget for this lab (usage_limit, docs/cost.md) when they are shown one (mode warn
   * or block); null when none is; absent from keepalive answers (the page keeps the last one it got and
   * counts down while the lab runs).
   */
  usage?: UsageView | null;
  /**
   * Course staff watching this lab's desktop in this server process (desktop-watchers.ts), or null when
   * nobody is; absent from keepalive answers. A terminal's watchers are told on the terminal's own socket.
   */
  desktopWatch?: DesktopPresence | null;
}

/** A budget as the learner sees it, in seconds as of `serverNow`. */
export interface UsageView {
  mode: 'warn' | 'block';
  budgetSeconds: number;
  leftSeconds: number;
  exhausted: boolean;
}

/** What the page shows of a budget: nothing of a `none` one (counted for the report only). */
export function usageView(status: BudgetStatus | null): UsageView | null {
  if (!status || status.mode === 'none') return null;
  return { mode: status.mode, budgetSeconds: status.budgetSeconds, leftSeconds: Math.floor(status.leftSeconds), exhausted: status.exhausted };
}

/** What the view needs to know of the stack's provider: how long a wake-up from shelved takes (0: unknown). */
export interface WakeInfo {
  unshelveEstimate: number;
}

/** Why a remote-desktop lab cannot open here; sent with the lab's view and as the refusal to connect. */
export const RDP_UNAVAILABLE = catalogueSentence('error.BAD_REQUEST.rdpUnavailable');

const PHASES: Record<StackState, { phase: Phase; message: string; action: StackView['action'] }> = {
  LAUNCH_PENDING: { phase: 'starting', message: 'Your lab is queued; a worker will start building it in a moment.', action: 'none' },
  CREATING: { phase: 'starting', message: 'Building your lab environment: servers, networks and your login.', action: 'none' },
  READY: { phase: 'ready', message: 'Your lab is ready.', action: 'none' },
  SUSPEND_PENDING: { phase: 'suspending', message: 'Your lab is about to be suspended because nobody used it for a while.', action: 'resume' },
  SUSPENDING: { phase: 'suspending', message: 'Suspending your lab to save resources; your work is kept.', action: 'resume' },
  SUSPENDED: { phase: 'suspended', message: 'Your lab is suspended; your work is kept. It resumes as soon as you come back.', action: 'resume' },
  RESUME_PENDING: { phase: 'resuming', message: 'Waking your lab up where you left it.', action: 'none' },
  RESUMING: { phase: 'resuming', message: 'Resuming your lab where you left it.', action: 'none' },
  DELETE_PENDING: { phase: 'deleting', message: 'Removing your lab environment.', action: 'none' },
  DELETING: { phase: 'deleting', message: 'Removing your lab environment.', action: 'none' },
  DELETED: { phase: 'deleted', message: 'Your lab environment was removed. Start it again to get a fresh one.', action: 'retry' },
  LAUNCH_FAILED: { phase: 'failed', message: 'Your lab could not be started.', action: 'retry' },
  SUSPEND_FAILED: { phase: 'failed', message: 'Your lab could not be suspended; it may still be running.', action: 'resume' },
  RESUME_FAILED: { phase: 'failed', message: 'Your lab could not be resumed.', action: 'retry' },
  DELETE_FAILED: { phase: 'failed', message: 'Your lab could not be removed; the course team has been told.', action: 'none' },
  // Shelved: the servers were shut down and their disks set aside, which frees the cloud; files survive, running programs do not.
  SHELVE_PENDING: { phase: 'suspended', message: 'Your lab is suspended; your work is kept. It resumes as soon as you come back.', action: 'resume' },
  SHELVING: { phase: 'suspending', message: 'Your lab was unused for a long time and is being put into deep sleep (shelved); your files are kept.', action: 'resume' },
  SHELVED: {
    phase: 'suspended',
    message: 'Your lab is in deep sleep (shelved) after a long time unused. Your files are kept, but programs that were running were stopped. Waking it takes longer than a resume.',
    action: 'resume',
  },
  SHELVE_FAILED: { phase: 'suspended', message: 'Your lab is suspended; your work is kept. It resumes as soon as you come back.', action: 'resume' },
  UNSHELVE_PENDING: { phase: 'resuming', message: 'Waking your lab from deep sleep: its servers are started again from their saved disks.', action: 'none' },
  UNSHELVING: { phase: 'resuming', message: 'Waking your lab from deep sleep: its servers are started again from their saved disks.', action: 'none' },
  UNSHELVE_FAILED: { phase: 'failed', message: 'Your lab could not be woken from deep sleep.', action: 'retry' },
};

/** States in which the learner is told how long a wake-up from shelved takes. */
const WAKING_FROM_SHELVED: ReadonlySet<StackState> = new Set(['SHELVED', 'UNSHELVE_PENDING', 'UNSHELVING']);

const WHAT_TO_DO: Partial<Record<StackState, string>> = {
  LAUNCH_FAILED: 'Press "Try again". If it fails again, tell your course team and mention the time.',
  RESUME_FAILED: 'Press "Try again". If it keeps failing, "Reset" gives you a fresh lab (your work in it is lost).',
  SUSPEND_FAILED: 'Press "Resume" to keep working.',
  DELETE_FAILED: 'Tell your course team; there is nothing you need to do.',
  UNSHELVE_FAILED: 'Press "Try again". If it keeps failing, "Reset" gives you a fresh lab (your work in it is lost).',
};

/** Advice that depends on why the stack failed rather than on its state: its provider is full or gone. */
const WHAT_TO_DO_BY_CODE = {
  PROVIDER_FULL: 'Press "Try again" later, when the cloud has room again, or "Reset" to start a fresh lab now, on another cloud when your course has one (your work in it is lost).',
  PROVIDER_GONE: 'Trying again cannot help. Press "Reset" to start a fresh lab on another cloud (your work in it is lost).',
} as const;

/** "about 5 minutes", "about 40 seconds": an estimate, rounded as a person would say it. */
export function aboutDuration(seconds: number): string {
  if (seconds < 90) return `about ${Math.max(10, Math.round(seconds / 10) * 10)} seconds`;
  const minutes = Math.round(seconds / 60);
  return `about ${minutes} minutes`;
}

function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** A stack's status as far as a waiting status request compares it: its state and when it was entered. */
export function statusVersion(stack: Pick<Stack, 'state' | 'stateChangedAt'>): string {
  return `${stack.state}@${stack.stateChangedAt.toISOString()}`;
}

export function stackView(stack: Stack, now: Date, wake?: WakeInfo): StackView {
  const entry = PHASES[stack.state];
  const failed = entry.phase === 'failed';
  const estimate = WAKING_FROM_SHELVED.has(stack.state) && wake && wake.unshelveEstimate > 0 ? wake.unshelveEstimate : null;
  const errorCode = failed && (stack.errorCode === 'PROVIDER_FULL' || stack.errorCode === 'PROVIDER_GONE') ? stack.errorCode : null;
  return {
    id: stack.id,
    lab: stack.lab,
    state: stack.state,
    phase: entry.phase,
    message: estimate === null ? entry.message : `${entry.message} It takes ${aboutDuration(estimate)}.`,
    error: failed ? [stack.error ? sentence(stack.error) : null, errorCode ? WHAT_TO_DO_BY_CODE[errorCode] : WHAT_TO_DO[stack.state]].filter(Boolean).join(' ') : null,
    failure: failed && stack.error ? sentence(stack.error) : null,
    errorCode,
    action: errorCode === 'PROVIDER_GONE' ? 'reset' : entry.action,
    stateChangedAt: stack.stateChangedAt.toISOString(),
    version: statusVersion(stack),
    createdAt: stack.createdAt.toISOString(),
    suspendAt: stack.suspendAt?.toISOString() ?? null,
    serverNow: now.toISOString(),
    wakeEstimateSeconds: estimate,
  };
}

export interface LabView {
  id: string;
  title: string;
  description: string;
  protocol: Lab['protocol'];
  /** False for RDP when no guacd is configured: the page says so instead of failing to connect. */
  protocolAvailable: boolean;
  unavailableReason?: string;
  servers: string[];
  readOnly: boolean;
  fullscreen: boolean;
  instructionsHtml: string;
  instructionsLayout: Lab['instructionsLayout'];
  terminal: Lab['terminal'];
  progressCheckLabel: string;
  progressCheckResultHeading: string;
  hasChecks: boolean;
  keepaliveInterval: number;
  /** Seconds of failing connection attempts after which the page stops retrying (setting connection_retry_budget). */
  connectionRetryBudget: number;
  idleTimeout: number;
  suspendTimeout: number;
}

/**
 * `fileAccess`: the access token a hidden lab's images need (lab-file-access.ts); it goes into their URLs.
 */
/** The instructions in the learner's language when the lab has them (instructions.<lang>.md), else the main file. */
function instructionsFor(lab: Lab, languages: string[]): { text?: string; file: string } {
  const translations = lab.translatedInstructions ?? {};
  const tag = bestMatch(languages, Object.keys(translations));
  return tag ? translations[tag] : { text: lab.instructions, file: lab.instructionsFile ?? 'instructions.md' };
}

/** `languages`: the learner's, most preferred first (the page sends its own language first, docs/i18n.md). */
export function labView(lab: Lab, config: Pick<Config, 'keepalive_interval' | 'idle_timeout' | 'connection_retry_budget'>, guacdConfigured = false, fileAccess?: string, languages: string[] = []): LabView {
  const rdpOff = lab.protocol === 'rdp' && !guacdConfigured;
  const instructions = instructionsFor(lab, languages);
  return {
    id: lab.id,
    title: lab.title,
    description: lab.description,
    protocol: lab.protocol,
    protocolAvailable: !rdpOff,
    ...(rdpOff ? { unavailableReason: inEnglish(RDP_UNAVAILABLE) } : {}),
    servers: labServers(lab).map((s) => s.name),
    readOnly: lab.readOnly,
    fullscreen: lab.fullscreen,
    instructionsHtml: renderInstructions(instructions.text, {
      base: labFileUrl(lab.id, ''),
      instructionsFile: instructions.file,
      query: fileAccess ? `?access=${encodeURIComponent(fileAccess)}` : '',
    }),
    instructionsLayout: lab.instructionsLayout,
    terminal: lab.terminal,
    progressCheckLabel: lab.progressCheckLabel,
    progressCheckResultHeading: lab.progressCheckResultHeading,
    hasChecks: lab.checks.length > 0,
    keepaliveInterval: config.keepalive_interval,
    connectionRetryBudget: config.connection_retry_budget,
    // The lab's own countdown when it sets one (domain/idleness.ts).
    idleTimeout: lab.timeouts.idle ?? config.idle_timeout,
    suspendTimeout: lab.timeouts.suspend,
  };
}
