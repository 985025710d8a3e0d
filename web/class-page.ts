/**
 * The instructors' class view (served by src/http/routes/class-page.ts): the roster of the course, and
 * per learner: watch (shadow) their terminal or (VNC or RDP) desktop, take it over, reset their lab, play their recordings.
 * All data from /api/v1/class with the session from the URL fragment, as the lab page does.
 *
 * For tests and support: `window.stacklabClass` holds the roster last shown.
 */
import '@xterm/xterm/css/xterm.css';
import './class-page.css';
import { Api, ApiError, takeSession } from './api-client.ts';
import { CastPlayer } from './cast-player.ts';
import { ShadowView } from './shadow-view.ts';
import { DesktopShadowView } from './desktop-shadow-view.ts';
import { RdpShadowView } from './rdp-shadow-view.ts';
import type { classAnswer, recordingsAnswer, ShadowGrant } from '../src/http/routes/class-api.ts';
import type { Sent } from './sent.ts';
import { elementLookup } from './element-lookup.ts';
import { BudgetDialog, budgetText, budgetUsed } from './class-budget.ts';
import { HistoryDialog } from './class-history.ts';
import { dateTime, duration, list, number, percent, t } from './i18n.ts';

type ClassAnswer = Sent<Awaited<ReturnType<typeof classAnswer>>>;
type RecordingAnswer = Sent<Awaited<ReturnType<typeof recordingsAnswer>>>;

declare global {
  interface Window {
    stacklabClass: { roster: ClassAnswer | null };
  }
}

const el = elementLookup('class page');

const dom = {
  context: el('class-context'),
  error: el('class-error'),
  rows: el('roster').querySelector('tbody') as HTMLTableSectionElement,
  empty: el('roster-empty'),
  refresh: el<HTMLButtonElement>('btn-refresh'),
  shadowPanel: el('shadow-panel'),
  shadowLearner: el('shadow-learner'),
  shadowMode: el('shadow-mode'),
  shadowStatus: el('shadow-status'),
  takeover: el<HTMLButtonElement>('btn-takeover'),
  release: el<HTMLButtonElement>('btn-release'),
  shadowClose: el<HTMLButtonElement>('btn-shadow-close'),
  shadowTerminal: el('shadow-terminal'),
  shadowDesktop: el('shadow-desktop'),
  recordingsPanel: el('recordings-panel'),
  recordingsLearner: el('recordings-learner'),
  recordingsList: el('recordings-list'),
  recordingsEmpty: el('recordings-empty'),
  recordingsClose: el<HTMLButtonElement>('btn-recordings-close'),
  player: el('player'),
  playerStatus: el('player-status'),
  playerStop: el<HTMLButtonElement>('btn-player-stop'),
  playerTerminal: el('player-terminal'),
  resetDialog: el<HTMLDialogElement>('reset-dialog'),
  resetLearner: el('reset-learner'),
  notice: el('class-notice'),
};

window.stacklabClass = { roster: null };
const session = takeSession();
const api = session ? new Api(session) : null;
let shadow: ShadowView | DesktopShadowView | RdpShadowView | undefined;
let shadowScreen: ShadowGrant['screen'] = 'terminal';
const budgets = api ? new BudgetDialog(api, { onExtended: (message) => void loadRoster().then(() => (dom.notice.textContent = message)), onError: showError }) : null;
const histories = api ? new HistoryDialog(api) : null;
const player = new CastPlayer(dom.playerTerminal);

function showError(error: unknown): void {
  dom.error.hidden = false;
  dom.error.textContent = error instanceof ApiError || error instanceof Error ? error.message : String(error);
}

/** h:mm:ss in the locale's digits, so the first minutes of a lab show too. */
function clock(seconds: number): string {
  return duration(seconds * 1000, true);
}

/** A cell of data (names, state codes, dates, numbers): shown as it is, not translated. */
function cell(row: HTMLTableRowElement, text: string): HTMLTableCellElement {
  const td = row.insertCell();
  td.textContent = text;
  td.setAttribute('translate', 'no');
  return td;
}

function button(label: string, run: () => void, className = ''): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  if (className) b.className = className;
  b.addEventListener('click', run);
  return b;
}

async function loadRoster(): Promise<void> {
  if (!api) return showError(new Error(t('class.noSession')));
  try {
    const answer = await api.get<ClassAnswer>('/api/v1/class');
    window.stacklabClass.roster = answer;
    dom.error.hidden = true;
    dom.context.textContent = answer.context;
    const titles = new Map(answer.labs.map((l) => [l.id, l.title]));
    dom.rows.replaceChildren();
    dom.empty.hidden = answer.learners.length > 0;
    for (const entry of answer.learners) {
      const row = dom.rows.insertRow();
      row.dataset.stack = entry.stackId;
      row.dataset.learner = entry.learner;
      const who = cell(row, entry.displayName ?? entry.learner);
      who.setAttribute('translate', 'no');
      who.title = entry.learner;
      if (entry.staff) {
        const tag = document.createElement('span');
        tag.className = 'badge';
        tag.textContent = t('class.staff');
        tag.setAttribute('translate', 'yes');
        who.append(' ', tag);
      }
      cell(row, titles.get(entry.lab) ?? entry.lab);
      cell(row, entry.state).className = 'state';
      cell(row, dateTime(entry.lastActivityAt));
      // Beside a budget, the time the budget counts (every stack of the learner's lab, resets included),
      // so that used and left add up to it; without one, this stack's running time.
      const used = cell(row, clock(entry.budget ? budgetUsed(entry.budget) : entry.secondsUsed));
      if (entry.budget) used.append(' ', Object.assign(document.createElement('span'), { className: 'muted budget', textContent: budgetText(entry.budget) }));
      cell(row, entry.bestScore === null ? '–' : percent(entry.bestScore));
      const actions = document.createElement('div');
      actions.className = 'actions';
      row.insertCell().append(actions);
      const name = entry.displayName ?? entry.learner;
      const watch = button(t('class.watch'), () => void openShadow(entry.stackId, name), 'watch');
      watch.disabled = entry.state !== 'READY';
      actions.append(watch, button(t('class.recordings'), () => void openRecordings(entry.stackId, name), 'recordings'), button(t('class.reset'), () => confirmReset(entry.stackId, name), 'danger reset'));
      const budget = entry.budget;
      if (budget && budgets) actions.append(button(t('class.addTime'), () => budgets.open(entry.stackId, name, budget), 'add-time'));
      if (histories) actions.append(button(t('class.history'), () => void histories.open(entry.stackId, name).catch(showError), 'history'));
    }
  } catch (error) {
    showError(error);
  }
}

function setMode(mode: 'watch' | 'takeover'): void {
  dom.shadowMode.textContent = mode === 'takeover' ? t(shadowScreen === 'desktop' ? 'class.modeTakeoverDesktop' : 'class.modeTakeover') : t('class.modeWatch');
  dom.shadowMode.dataset.mode = mode;
  dom.takeover.hidden = mode === 'takeover';
  dom.release.hidden = mode !== 'takeover';
}

async function openShadow(stackId: string, learner: string): Promise<void> {
  if (!api) return;
  try {
    const grant = await api.post<ShadowGrant>(`/api/v1/class/stacks/${encodeURIComponent(stackId)}/shadow`);
    dom.shadowPanel.hidden = false;
    dom.shadowPanel.dataset.stack = stackId;
    dom.shadowLearner.textContent = learner;
    dom.takeover.disabled = !grant.mayTakeOver;
    dom.shadowPanel.dataset.screen = grant.screen;
    shadow?.dispose();
    dom.shadowTerminal.replaceChildren();
    dom.shadowDesktop.replaceChildren();
    shadowScreen = grant.screen;
    dom.shadowTerminal.hidden = grant.screen !== 'terminal';
    dom.shadowDesktop.hidden = grant.screen !== 'desktop';
    const events = {
      onStatus: (message: string) => (dom.shadowStatus.textContent = message),
      onMode: setMode,
      onClosed: (message: string) => (dom.shadowStatus.textContent = message),
    };
    if (grant.screen === 'terminal') shadow = new ShadowView(dom.shadowTerminal, events);
    else shadow = grant.protocol === 'rdp' ? new RdpShadowView(dom.shadowDesktop, events) : new DesktopShadowView(dom.shadowDesktop, events);
    setMode('watch');
    shadow.connect(grant);
  } catch (error) {
    showError(error);
  }
}

async function openRecordings(stackId: string, learner: string): Promise<void> {
  if (!api) return;
  try {
    const answer = await api.get<RecordingAnswer>(`/api/v1/class/stacks/${encodeURIComponent(stackId)}/recordings`);
    dom.recordingsPanel.hidden = false;
    dom.recordingsLearner.textContent = learner;
    dom.recordingsList.replaceChildren();
    dom.recordingsEmpty.hidden = answer.recordings.length > 0;
    for (const recording of [...answer.recordings].reverse()) {
      const item = document.createElement('li');
      item.dataset.recording = recording.id;
      const when = document.createElement('span');
      const ended = recording.endedAt ? dateTime(recording.endedAt, { timeStyle: 'medium' }) : t('class.stillOpen');
      when.textContent = t('class.recordingSpan', { start: dateTime(recording.startedAt), end: ended, server: recording.server });
      const checks = document.createElement('span');
      checks.className = 'muted';
      checks.textContent = recording.checkRuns.length
        ? ' ' + t('class.ledToChecks', { checks: list(recording.checkRuns.map((r) => (r.score === null ? r.status : `${number(r.passed ?? 0)}/${number(r.total ?? 0)} (${percent(r.score)})`))) })
        : '';
      item.append(button(t('class.play'), () => void play(recording.id), 'play'), ' ', when, checks);
      dom.recordingsList.append(item);
    }
  } catch (error) {
    showError(error);
  }
}

async function play(id: string): Promise<void> {
  if (!session) return;
  dom.player.hidden = false;
  dom.playerStatus.textContent = t('class.loading');
  const response = await fetch(`/api/v1/class/recordings/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${session}` } });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    dom.playerStatus.textContent = body.message ?? t('class.recordingFailed', { status: response.status });
    return;
  }
  dom.player.dataset.state = 'playing';
  await player.play(await response.text(), (shown, total) => (dom.playerStatus.textContent = shown >= total ? t('class.finished', { total }) : t('class.playing', { shown, total })));
  dom.player.dataset.state = 'finished';
}

let resetTarget: string | undefined;
function confirmReset(stackId: string, learner: string): void {
  resetTarget = stackId;
  dom.resetLearner.textContent = learner;
  dom.resetDialog.returnValue = '';
  dom.resetDialog.showModal();
}

dom.resetDialog.addEventListener('close', () => {
  const target = resetTarget;
  resetTarget = undefined;
  if (dom.resetDialog.returnValue !== 'reset' || !target || !api) return;
  api
    .post(`/api/v1/class/stacks/${encodeURIComponent(target)}/reset`, { confirm: 'RESET' })
    .then(() => loadRoster())
    .catch(showError);
});
dom.takeover.addEventListener('click', () => shadow?.takeOver());
dom.release.addEventListener('click', () => shadow?.release());
dom.shadowClose.addEventListener('click', () => {
  shadow?.dispose();
  shadow = undefined;
  dom.shadowPanel.hidden = true;
});
dom.recordingsClose.addEventListener('click', () => {
  player.stop();
  dom.recordingsPanel.hidden = true;
  dom.player.hidden = true;
});
dom.playerStop.addEventListener('click', () => player.stop());
dom.refresh.addEventListener('click', () => void loadRoster());

void loadRoster();
