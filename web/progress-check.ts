/**
 * The lab page's "Check progress" panel. Mounts into `<section id="progress-check">`, uses the session and
 * API helper the lab page leaves on `window.stacklab`, and follows the stack through `stacklab:stack`
 * events. A click starts a check (POST /api/v1/me/stacks/:id/check; the server resumes a suspended lab
 * first and joins a check already running), then polls GET until the run ends and shows each check with
 * its hint. Text from the lab (titles, hints) is set as text, never as HTML.
 */
import './progress-check.css';
import type { CheckRunView, CheckStatusView } from '../src/checks/check-view.ts';
import type { LabView, StackView } from '../src/http/routes/learner-view.ts';
import { t } from './i18n.ts';

/**
 * A lab that keeps the schema's default label and heading (src/labs/lab-schema.ts) gets them in the
 * learner's language; a label the lab author wrote is shown as written.
 */
const DEFAULT_TEXT: Record<string, string> = { 'Check progress': 'check.label', 'Progress check result': 'check.heading' };
const labText = (text: string) => (DEFAULT_TEXT[text] ? t(DEFAULT_TEXT[text]) : text);

const POLL_MS = 1000;
/** Phases in which a check makes sense: a suspended lab is resumed by the check itself. */
const CHECKABLE = new Set(['ready', 'suspended']);

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function noTranslate<E extends HTMLElement>(node: E): E {
  node.setAttribute('translate', 'no');
  return node;
}

class ProgressCheck {
  private readonly button = el('button', 'progress-check-button');
  private readonly status = el('p', 'progress-check-status muted');
  private readonly result = el('div', 'progress-check-result');
  private stack: StackView | null = null;
  private running = false;
  private pollTimer = 0;

  constructor(
    private readonly root: HTMLElement,
    private readonly lab: LabView,
  ) {
    this.button.type = 'button';
    this.button.textContent = labText(lab.progressCheckLabel);
    this.button.addEventListener('click', () => void this.start());
    this.status.setAttribute('role', 'status');
    this.result.setAttribute('aria-live', 'polite');
    const bar = el('div', 'progress-check-bar');
    bar.append(this.button, this.status);
    root.replaceChildren(bar, this.result);
    root.hidden = false;
  }

  private get api() {
    return window.stacklab?.api ?? null;
  }

  onStack(stack: StackView | null): void {
    const first = !this.stack && stack;
    this.stack = stack;
    this.updateButton();
    if (first) void this.load();
  }

  private updateButton(): void {
    const phase = this.stack?.phase ?? '';
    this.button.disabled = this.running || !CHECKABLE.has(phase);
    this.button.setAttribute('aria-busy', String(this.running));
    if (!this.running) this.status.textContent = this.stack && !CHECKABLE.has(phase) ? t('check.unavailable') : '';
  }

  private url(): string {
    return `/api/v1/me/stacks/${encodeURIComponent(this.stack!.id)}/check`;
  }

  /** Shows the last result on page load, and picks up a check that is still running. */
  private async load(): Promise<void> {
    if (!this.api || !this.stack) return;
    try {
      const view = await this.api.get<CheckStatusView>(this.url());
      if (view.latest?.status === 'running') this.follow();
      else if (view.latest) this.render(view.latest, view);
    } catch {
      // The panel stays usable; the first click reports any real problem.
    }
  }

  private async start(): Promise<void> {
    if (!this.api || !this.stack || this.running) return;
    this.setRunning(true, t(this.stack.phase === 'suspended' ? 'check.resumingThenChecking' : 'check.checking'));
    try {
      await this.api.post(this.url());
      this.follow();
    } catch (error) {
      this.setRunning(false);
      this.showError((error as Error).message);
    }
  }

  private follow(): void {
    this.setRunning(true, t('check.checking'));
    const tick = async () => {
      try {
        const view = await this.api!.get<CheckStatusView>(this.url());
        if (view.latest && view.latest.status !== 'running') {
          this.setRunning(false);
          this.render(view.latest, view);
          return;
        }
      } catch (error) {
        this.status.textContent = (error as Error).message;
      }
      this.pollTimer = window.setTimeout(() => void tick(), POLL_MS);
    };
    window.clearTimeout(this.pollTimer);
    this.pollTimer = window.setTimeout(() => void tick(), POLL_MS);
  }

  private setRunning(running: boolean, message = ''): void {
    this.running = running;
    this.status.textContent = message;
    this.updateButton();
  }

  private showError(message: string): void {
    const box = el('div', 'progress-check-error', message);
    box.setAttribute('role', 'alert');
    this.result.replaceChildren(box);
  }

  private render(run: CheckRunView, view: CheckStatusView): void {
    if (run.status === 'error') return this.showError(run.error ?? t('check.couldNotRun'));
    const heading = el('h2', 'progress-check-heading', labText(view.heading));
    if (!view.showFeedback || run.results === undefined) {
      this.result.replaceChildren(heading, el('p', 'muted', t('check.recorded')));
      return;
    }
    const passed = run.passed ?? 0;
    const total = run.total ?? 0;
    const summary = el('p', 'progress-check-summary', t('check.summary', { passed, total }));
    const meter = el('progress', 'progress-check-meter');
    meter.max = 1;
    meter.value = run.score ?? 0;
    meter.setAttribute('aria-label', t('check.score', { score: run.score ?? 0 }));
    const list = el('ul', 'progress-check-list');
    for (const r of run.results) {
      const item = el('li', r.passed ? 'passed' : 'failed');
      // The mark is a symbol (read out from the catalogue's words instead); the title and hint are the lab
      // author's words, or stacklab's own hint already said in the page's language: none is for translating.
      const mark = noTranslate(el('span', 'progress-check-mark', r.passed ? '✓' : '✗'));
      mark.setAttribute('aria-hidden', 'true');
      item.append(mark, el('span', 'progress-check-said', t(r.passed ? 'check.passed' : 'check.notPassed')), noTranslate(el('span', 'progress-check-title', r.title)));
      if (!r.passed && r.hint) item.append(noTranslate(el('pre', 'progress-check-hint', r.hint)));
      list.append(item);
    }
    this.result.replaceChildren(heading, summary, meter, list);
  }
}

/**
 * The lab page may not have run yet when this module does (its bundle waits on a top-level await), so
 * nothing here assumes `window.stacklab` exists: the page's events bring the lab and the stack.
 */
function mount(): void {
  const root = document.getElementById('progress-check');
  if (!root) return;
  let panel: ProgressCheck | null = null;
  const withLab = (lab: LabView | null | undefined) => {
    if (panel || !lab) return;
    if (!lab.hasChecks) {
      root.hidden = true;
      return;
    }
    panel = new ProgressCheck(root, lab);
    panel.onStack(window.stacklab?.stack ?? null);
  };
  document.addEventListener('stacklab:lab', (e) => withLab((e as CustomEvent<LabView>).detail));
  document.addEventListener('stacklab:stack', (e) => panel?.onStack((e as CustomEvent<StackView>).detail));
  withLab(window.stacklab?.lab);
}

mount();
