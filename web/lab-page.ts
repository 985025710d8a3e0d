/**
 * The learner's lab page: launches or resumes the learner's stack, shows honest progress, connects the
 * terminal or desktop without asking for anything, keeps the lab alive while the learner is active,
 * warns before an idle suspend and resumes + reconnects when the learner comes back.
 *
 * For other page modules (web/progress-check.ts): `window.stacklab` holds the session token, an `api`
 * helper and the current stack; `stacklab:stack` events on `document` announce every change.
 */
import './lab-page.css';
import { Activity } from './activity.ts';
import { Departure } from './departure.ts';
import { Api, ApiError, takeSession } from './api-client.ts';
import { DesktopView } from './desktop-view.ts';
import { duration, pageLocale, t } from './i18n.ts';
import { dom, hideOverlay, showOverlay } from './page-dom.ts';
import { RdpView } from './rdp-view.ts';
import { StatusWait } from './status-wait.ts';
import { TerminalView } from './terminal-view.ts';
import { offerClassView, showStaffNotice } from './staff-notice.ts';
import type { ConnectionGrant } from '../src/http/routes/learner-api.ts';
import type { LabView, Phase, StackView, UsageView } from '../src/http/routes/learner-view.ts';

declare global {
  interface Window {
    stacklab: {
      session: string | null;
      labId: string;
      api: Api | null;
      stack: StackView | null;
      lab: LabView | null;
      /** Failed connection attempts in a row, and whether the page stopped retrying (for tests and support). */
      connection: { failedAttempts: number; gaveUp: boolean };
    };
  }
}

const labId = document.body.dataset.lab ?? '';
const session = takeSession();
const api = session ? new Api(session) : null;
window.stacklab = { session, labId, api, stack: null, lab: null, connection: { failedAttempts: 0, gaveUp: false } };
if (api && session) void offerClassView(api, session);

const TRANSITIONAL: Phase[] = ['starting', 'suspending', 'resuming', 'deleting'];

let lab: LabView;
let view: StackView | null = null;
let clockOffset = 0;
let phaseSince = Date.now();
let activity: Activity;
let departure: Departure | undefined;
let screen: TerminalView | DesktopView | RdpView | undefined;
let server = '';
let connection: 'idle' | 'requesting' | 'connecting' | 'connected' = 'idle';
let reconnectDelay = 1000;
let reconnectTimer: number | undefined;
/**
 * A connection that keeps failing is not retried forever: once it has failed at least GIVE_UP_ATTEMPTS
 * times in a row over the lab's retry budget (setting connection_retry_budget: a lab's servers may
 * still boot after READY), the page stops and says what to do. A success, the learner's "Try again",
 * or the lab leaving READY (suspended, reset) starts a fresh series.
 */
const GIVE_UP_ATTEMPTS = 3;
let failedAttempts = 0;
let failingSince = 0;
let gaveUp = false;
let pollTimer: number | undefined;
/** The long-poll that hears of a state change as it happens; the timer-driven poll is its fallback. */
const statusWait = api
  ? new StatusWait(api, {
      status: (next) => update(next),
      failed: (error) => {
        if (error instanceof ApiError && error.status === 401) return fail(t('lab.sessionEnded'), describeError(error));
        schedulePoll();
      },
    })
  : null;
let lastKeepalive = 0;
let resuming = false;
/** The learner's time budget as last told by the server (keepalive answers leave it out), and when. */
let usage: { view: UsageView | null; at: number } = { view: null, at: 0 };

const serverNow = () => Date.now() + clockOffset;

function fail(title: string, message: string, action?: { label: string; run: () => void }): void {
  dom.badge.textContent = t('badge.failed');
  dom.badge.dataset.phase = 'failed';
  showOverlay({ title, message: '', error: message, action: action ?? null, busy: false });
}

function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return t('lab.unexpected');
}

/** A failure's words as a sentence of the page's language, unless they end one already (a provider's own often do). */
function asSentence(text: string): string {
  return /[.!?。！？]$/.test(text.trim()) ? text.trim() : t('lab.failureSentence', { failure: text.trim() });
}

/** What went wrong (the provider's own words, which are not translated) and what to do, in the page's language. */
function failureText(stack: StackView): string | null {
  if (stack.phase !== 'failed') return null;
  // A full or gone provider changes the advice whatever the state: start fresh elsewhere rather than wait.
  const key = `todo.${stack.errorCode ?? stack.state}`;
  const todo = t(key);
  const failure = stack.failureSaid ? asSentence(t(stack.failureSaid.key, stack.failureSaid.values)) : stack.failure;
  return [failure, todo === key ? null : todo].filter(Boolean).join(' ') || null;
}

function update(next: StackView): void {
  clockOffset = Date.parse(next.serverNow) - Date.now();
  const phaseChanged = view?.phase !== next.phase;
  if (phaseChanged) {
    // On first load of a stack already in a transition, count from the server's state change.
    phaseSince = view === null && TRANSITIONAL.includes(next.phase) ? Date.parse(next.stateChangedAt) - clockOffset : Date.now();
  }
  view = next;
  if (next.usage !== undefined) usage = { view: next.usage, at: Date.now() };
  // A desktop has no channel of its own for this: the poll says who of the course staff is watching it.
  if (lab.protocol !== 'ssh' && next.desktopWatch !== undefined) {
    showStaffNotice({ watchers: next.desktopWatch?.watchers ?? 0, takenOver: next.desktopWatch?.takenOver ?? false, screen: 'desktop' });
  }
  window.stacklab.stack = next;
  document.dispatchEvent(new CustomEvent('stacklab:stack', { detail: next }));
  dom.badge.textContent = t(`badge.${next.phase}`);
  dom.badge.dataset.phase = next.phase;
  dom.reset.disabled = next.phase === 'deleting' || next.phase === 'starting';
  if (next.phase !== 'ready') dom.idleWarning.hidden = true;
  if (next.phase !== 'ready') forgetFailures();
  if (gaveUp) {
    dom.badge.textContent = t('badge.failed');
    dom.badge.dataset.phase = 'failed';
  }
  if (next.phase === 'ready') {
    if (connection === 'idle' && !gaveUp) void connect();
  } else {
    disconnect();
  }
  render();
  schedulePoll();
}

function render(): void {
  if (!view) return;
  const elapsed = duration(Date.now() - phaseSince);
  dom.elapsed.textContent = TRANSITIONAL.includes(view.phase) ? t('lab.elapsedBadge', { elapsed }) : '';
  if (view.phase === 'ready' && connection === 'connected') return hideOverlay();
  // The give-up message stays until the learner acts (giveUp).
  if (view.phase === 'ready' && gaveUp) return;
  if (view.phase === 'ready') {
    return showOverlay({ title: t('lab.connecting'), message: t('lab.readyOpening', { kind: lab.protocol }), elapsed: '' });
  }
  if (budgetBlocked() && (view.phase === 'suspended' || view.phase === 'suspending')) {
    return showOverlay({ title: t(`title.${view.phase}`), message: t('lab.budgetBlocked', { budget: duration((usage.view?.budgetSeconds ?? 0) * 1000) }), elapsed: '', busy: false });
  }
  const action =
    view.action === 'resume'
      ? { label: t('lab.resume'), run: () => void comeBack() }
      : view.action === 'retry'
        ? { label: t(view.phase === 'deleted' ? 'lab.startAgain' : 'lab.tryAgain'), run: () => void comeBack() }
        : view.action === 'reset'
          ? { label: t('page.reset'), run: () => dom.reset.click() }
          : null;
  showOverlay({
    title: t(`title.${view.phase}`),
    message: t(`state.${view.state}`),
    // Waking a shelved lab takes minutes, not seconds: the elapsed time is shown against the provider's estimate.
    elapsed: TRANSITIONAL.includes(view.phase)
      ? view.wakeEstimateSeconds
        ? t('lab.elapsedOf', { elapsed, estimate: duration(view.wakeEstimateSeconds * 1000), state: view.state, since: new Date(phaseSince) })
        : t('lab.elapsed', { elapsed, state: view.state, since: new Date(phaseSince) })
      : '',
    error: failureText(view),
    action,
    busy: TRANSITIONAL.includes(view.phase),
  });
}

/**
 * Seconds a status request waits for a change. Long while the lab changes state: only the change is
 * awaited then. Otherwise as long as the ordinary poll's period, since that answer also refreshes what
 * no state change announces (who watches a desktop, the idle deadline another tab's keepalive moved, a
 * budget the course team extended).
 */
function waitSeconds(phase: Phase): number {
  return TRANSITIONAL.includes(phase) ? 20 : 5;
}

function schedulePoll(): void {
  window.clearTimeout(pollTimer);
  if (!view) return;
  if (statusWait?.follow(view, waitSeconds(view.phase))) return;
  const ms = TRANSITIONAL.includes(view.phase) ? 1500 : 5000;
  pollTimer = window.setTimeout(() => void poll(), ms);
}

async function poll(): Promise<void> {
  if (!api || !view) return;
  try {
    update(await api.get<StackView>(`/api/v1/me/stacks/${view.id}`));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return fail(t('lab.sessionEnded'), describeError(error));
    dom.overlayError.textContent = describeError(error);
    schedulePoll();
  }
}

/** Launch = create, resume, relaunch, or just "I am here": the server picks by the stack's state. */
async function comeBack(): Promise<void> {
  if (!api || resuming) return;
  resuming = true;
  try {
    update(view ? await api.post<StackView>(`/api/v1/me/stacks/${view.id}/resume`) : await api.post<StackView>(`/api/v1/me/labs/${encodeURIComponent(labId)}/launch`));
  } catch (error) {
    if (error instanceof ApiError && error.code === 'USAGE_LIMIT_REACHED' && (await showBudgetUsedUp())) return;
    fail(t('lab.couldNotStart'), describeError(error), { label: t('lab.tryAgain'), run: () => void comeBack() });
  } finally {
    resuming = false;
  }
}

async function connect(): Promise<void> {
  if (!api || !view || connection !== 'idle') return;
  connection = 'requesting';
  window.clearTimeout(reconnectTimer);
  try {
    const grant = await api.post<ConnectionGrant>(`/api/v1/me/stacks/${view.id}/connections`, { server });
    if (connection !== 'requesting') return;
    connection = 'connecting';
    screen?.connect(grant);
  } catch (error) {
    connection = 'idle';
    if (error instanceof ApiError && error.code === 'INVALID_STATE') return void poll();
    if (error instanceof ApiError && error.code === 'BAD_REQUEST') return fail(t('lab.cannotOpenHere'), describeError(error));
    scheduleReconnect(describeError(error));
  }
}

function disconnect(): void {
  window.clearTimeout(reconnectTimer);
  connection = 'idle';
  screen?.disconnect();
}

function forgetFailures(): void {
  reconnectDelay = 1000;
  failedAttempts = 0;
  failingSince = 0;
  gaveUp = false;
  window.stacklab.connection = { failedAttempts, gaveUp };
}

/** Stops retrying and tells the learner what to do; "Try again" starts a fresh series of attempts. */
function giveUp(cause: string): void {
  gaveUp = true;
  window.clearTimeout(reconnectTimer);
  window.stacklab.connection = { failedAttempts, gaveUp };
  fail(
    t('lab.gaveUpTitle', { kind: lab.protocol }),
    t('lab.gaveUp', { cause, attempts: failedAttempts, elapsed: duration(Date.now() - failingSince) }),
    {
      label: t('lab.tryAgain'),
      run: () => {
        forgetFailures();
        render();
        void connect();
      },
    },
  );
}

/** Called after each failed attempt: retries with back-off, or gives up (see GIVE_UP_ATTEMPTS). */
function scheduleReconnect(cause = t('lab.connectionFailed')): void {
  window.clearTimeout(reconnectTimer);
  failedAttempts += 1;
  if (failingSince === 0) failingSince = Date.now();
  window.stacklab.connection = { failedAttempts, gaveUp };
  if (failedAttempts >= GIVE_UP_ATTEMPTS && Date.now() - failingSince >= lab.connectionRetryBudget * 1000) return giveUp(cause);
  reconnectTimer = window.setTimeout(async () => {
    await poll();
    if (view?.phase === 'ready' && connection === 'idle') void connect();
  }, reconnectDelay);
  reconnectDelay = Math.min(reconnectDelay * 2, 10_000);
}

/** The cause alone, without the gateway's closing "Reconnecting…" (in the page's words or English): the give-up text quotes it. */
function withoutReconnecting(message: string): string {
  for (const word of [t('lab.reconnecting'), 'Reconnecting…']) if (message.endsWith(word)) return message.slice(0, -word.length).trimEnd();
  return message;
}

function onScreenStatus(state: 'connecting' | 'connected' | 'closed', message: string, retry: boolean): void {
  if (state === 'connected') {
    connection = 'connected';
    forgetFailures();
    render();
    screen?.focus();
    return;
  }
  if (state === 'closed') {
    connection = 'idle';
    if (view?.phase === 'ready') {
      showOverlay({ title: t('lab.reconnecting'), message, elapsed: '' });
      if (retry) scheduleReconnect(withoutReconnecting(message));
      else fail(t('lab.cannotShow'), message);
    }
  }
}

async function keepalive(): Promise<void> {
  if (!api || !view) return;
  lastKeepalive = Date.now();
  try {
    update(await api.post<StackView>(`/api/v1/me/stacks/${view.id}/keepalive`));
  } catch {}
}

/**
 * Coming back was refused because the budget is used up: the page says so as it does when the budget
 * runs out while it is open (the lab stays suspended; no "Try again", which would only be refused
 * again). False when the stack could not be read or is not suspended; the refusal is then shown.
 */
async function showBudgetUsedUp(): Promise<boolean> {
  if (!api) return false;
  try {
    const opened = await api.get<{ stack: StackView | null }>(`/api/v1/me/labs/${encodeURIComponent(labId)}`);
    if (!opened.stack) return false;
    update(opened.stack);
    return budgetBlocked() && (opened.stack.phase === 'suspended' || opened.stack.phase === 'suspending');
  } catch {
    return false;
  }
}

/** A `block` budget used up: the lab stays suspended, and coming back would only be refused. */
function budgetBlocked(): boolean {
  return usage.view?.mode === 'block' && usageLeftSeconds() <= 0;
}

/** Seconds of the budget left now: the server's figure, less the time the lab ran since. */
function usageLeftSeconds(): number {
  if (!usage.view) return Infinity;
  const ran = view?.phase === 'ready' ? (Date.now() - usage.at) / 1000 : 0;
  return Math.max(0, usage.view.leftSeconds - ran);
}

function renderUsage(): void {
  const budget = usage.view;
  dom.usageLeft.hidden = !budget;
  if (!budget) return;
  const left = usageLeftSeconds();
  dom.usageLeft.dataset.exhausted = String(left <= 0);
  dom.usageLeft.textContent =
    left > 0 ? t('lab.timeLeft', { left: duration(left * 1000) }) : t('lab.timeUsedUp', { budget: duration(budget.budgetSeconds * 1000) });
}

/** Once a second: keepalives while active, the idle countdown, the elapsed time, the time left. */
function tick(): void {
  render();
  renderUsage();
  if (!view) return;
  departure?.refresh();
  const interval = Math.min(lab.keepaliveInterval, Math.max(1, lab.suspendTimeout / 3)) * 1000;
  if (view.phase === 'ready' && activity.active && Date.now() - lastKeepalive >= interval) void keepalive();
  const remaining = view.suspendAt ? Date.parse(view.suspendAt) - serverNow() : Infinity;
  const warnWindow = Math.max(10_000, Math.min(60_000, (lab.suspendTimeout * 1000) / 2));
  const warn = view.phase === 'ready' && !activity.active && remaining <= warnWindow;
  dom.idleWarning.hidden = !warn;
  if (warn) dom.idleCountdown.textContent = duration(remaining);
}

function setUpLab(): void {
  document.title = t('page.title', { lab: lab.title });
  dom.title.textContent = lab.title;
  dom.layout.className = `layout layout-${lab.instructionsLayout}${lab.instructionsHtml ? '' : ' no-instructions'}`;
  if (lab.instructionsHtml) {
    // Rendered and sanitised on the server (learner-markdown.ts); the page CSP forbids inline script.
    dom.instructions.innerHTML = lab.instructionsHtml;
    dom.instructions.hidden = false;
  }
  if (lab.servers.length > 1) {
    dom.serverPicker.hidden = false;
    for (const name of lab.servers) dom.serverSelect.append(new Option(name, name));
  }
  server = lab.servers[0] ?? 'default';
  dom.serverSelect.addEventListener('change', () => {
    server = dom.serverSelect.value;
    disconnect();
    if (view?.phase === 'ready') void connect();
  });
  dom.workspace.dataset.readOnlyLabel = t('lab.readOnly');
  if (lab.readOnly) document.body.classList.add('read-only');
  if (new URLSearchParams(location.search).has('window') || lab.fullscreen) document.body.classList.add('own-window');
  const events = { onStatus: onScreenStatus, onInput: () => activity.touch(), onStaff: showStaffNotice };
  if (lab.protocol === 'ssh') {
    dom.terminal.hidden = false;
    screen = new TerminalView(dom.terminal, lab.terminal, lab.readOnly, events);
  } else {
    dom.desktop.hidden = false;
    screen = lab.protocol === 'rdp' ? new RdpView(dom.desktop, lab.readOnly, events) : new DesktopView(dom.desktop, lab.readOnly, events);
  }
}

function wireButtons(): void {
  dom.stillHere.addEventListener('click', () => {
    activity.touch();
    void keepalive();
  });
  dom.fullscreen.addEventListener('click', () => {
    if (document.fullscreenElement) return void document.exitFullscreen();
    // Inside an LMS iframe without allowfullscreen this is refused: open a window instead.
    dom.workspace.requestFullscreen().catch(() => openWindow());
  });
  dom.newWindow.addEventListener('click', () => openWindow());
  dom.reset.addEventListener('click', () => {
    dom.resetInput.value = '';
    dom.resetConfirm.disabled = true;
    dom.resetDialog.showModal();
  });
  dom.resetInput.addEventListener('input', () => (dom.resetConfirm.disabled = dom.resetInput.value.trim() !== 'RESET'));
  dom.resetDialog.addEventListener('close', () => {
    if (dom.resetDialog.returnValue !== 'reset' || dom.resetInput.value.trim() !== 'RESET' || !api || !view) return;
    disconnect();
    api
      .post<StackView>(`/api/v1/me/stacks/${view.id}/reset`, { confirm: 'RESET' })
      .then(update)
      .catch((error: unknown) => fail(t('lab.couldNotReset'), describeError(error)));
  });
}

function openWindow(): void {
  const url = `${location.origin}/lab/${encodeURIComponent(labId)}?window=1&lang=${encodeURIComponent(pageLocale)}#session=${encodeURIComponent(session ?? '')}`;
  window.open(url, `stacklab-${labId}`, 'noopener');
}

async function start(): Promise<void> {
  if (!api) {
    return fail(t('lab.noSession'), t('lab.noSessionHelp'));
  }
  showOverlay({ title: t('lab.opening'), message: t('lab.loading') });
  try {
    const opened = await api.get<{ lab: LabView; stack: StackView | null }>(`/api/v1/me/labs/${encodeURIComponent(labId)}`);
    lab = opened.lab;
    // The budget is known before the launch, so a refused launch still shows it.
    if (opened.stack?.usage !== undefined) usage = { view: opened.stack.usage, at: Date.now() };
  } catch (error) {
    return fail(t('lab.cannotOpen'), describeError(error), { label: t('lab.reload'), run: () => location.reload() });
  }
  window.stacklab.lab = lab;
  document.dispatchEvent(new CustomEvent('stacklab:lab', { detail: lab }));
  if (!lab.protocolAvailable) return fail(t('lab.cannotShow'), t(lab.protocol === 'rdp' ? 'lab.rdpUnavailable' : 'lab.protocolUnavailable'));
  activity = new Activity(lab.idleTimeout * 1000);
  activity.onInput(() => {
    if (view && (view.phase === 'suspended' || view.phase === 'suspending') && !resuming && !budgetBlocked()) void comeBack();
  });
  departure = new Departure(api, () => view?.id, () => {
    if (view?.phase === 'ready' && activity.active) void keepalive();
  });
  // Back from the browser's back-forward cache: the departure sent on the way out is cancelled by the
  // activity of being back.
  window.addEventListener('pageshow', (event) => {
    if (!event.persisted) return;
    activity.touch();
    if (view?.phase === 'ready') void keepalive();
  });
  setUpLab();
  wireButtons();
  window.setInterval(tick, 1000);
  window.addEventListener('online', () => void poll());
  await comeBack();
}

void start();
