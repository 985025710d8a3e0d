/**
 * The terminal: xterm.js in the page, one WebSocket to the gateway. Reports what happens (connecting,
 * connected, closed and why) and leaves the reconnect policy to the page controller.
 * Flow control: when xterm falls behind on rendering, the page asks the gateway to pause the shell.
 */
import { Terminal } from '@xterm/xterm';
import { sayTerminalStrings } from './terminal-strings.ts';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import type { ConnectionGrant } from '../src/http/routes/learner-api.ts';
import type { LabView } from '../src/http/routes/learner-view.ts';
import { installClipboard } from './clipboard.ts';
import { THEMES } from './terminal-themes.ts';
import type { MessageValues } from '../src/infra/i18n/formatter.ts';
import { t } from './i18n.ts';

const PAUSE_AT = 2 << 20;
const RESUME_AT = 1 << 19;
const PING_MS = 20_000;

/** The gateway's error in the page's language: by its catalogue key, else as the gateway wrote it. */
function said(error: { message?: string; key?: string; values?: MessageValues }): string {
  const text = error.key ? t(error.key, error.values) : undefined;
  return text && text !== error.key ? text : (error.message ?? '');
}

export interface TerminalEvents {
  onStatus(state: 'connecting' | 'connected' | 'closed', message: string, retry: boolean): void;
  onInput(): void;
  /** Course staff watching this terminal (and whether one took it over), and whether it is recorded. */
  onStaff?(notice: { watchers: number; takenOver: boolean } | { recording: boolean }): void;
}

export class TerminalView {
  readonly term: Terminal;
  private readonly fit = new FitAddon();
  private ws: WebSocket | undefined;
  private pending = 0;
  private paused = false;
  private pinger: number | undefined;
  private awaitingPong = 0;
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly container: HTMLElement,
    settings: LabView['terminal'],
    private readonly readOnly: boolean,
    private readonly events: TerminalEvents,
  ) {
    sayTerminalStrings();
    this.term = new Terminal({
      fontFamily: settings.font === 'monospace' ? 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace' : `${settings.font}, monospace`,
      fontSize: settings.fontSize,
      theme: THEMES[settings.colorScheme] ?? THEMES.dark,
      cursorBlink: !readOnly,
      disableStdin: readOnly,
      scrollback: 5000,
      rightClickSelectsWord: true,
    });
    this.term.loadAddon(this.fit);
    this.term.open(container);
    installClipboard(this.term);
    this.term.onData((data) => this.sendInput(this.encoder.encode(data)));
    this.term.onBinary((data) => this.sendInput(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));
    this.term.onResize(({ cols, rows }) => this.control({ type: 'resize', cols, rows }));
    new ResizeObserver(() => this.refit()).observe(container);
  }

  refit(): void {
    if (this.container.offsetWidth > 0 && this.container.offsetHeight > 0) this.fit.fit();
  }

  focus(): void {
    this.term.focus();
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  connect(grant: ConnectionGrant): void {
    this.disconnect();
    this.refit();
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const url = `${scheme}://${location.host}${grant.path}?cols=${this.term.cols}&rows=${this.term.rows}`;
    const ws = new WebSocket(url, grant.protocols);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.pending = 0;
    this.paused = false;
    this.events.onStatus('connecting', t('screen.connectingTerminal'), false);
    let lastError = '';
    ws.onmessage = (event) => {
      if (typeof event.data === 'string') {
        const message = JSON.parse(event.data) as { type: string; state?: string; message?: string; key?: string; values?: MessageValues; code?: number | null; watchers?: number; takenOver?: boolean; on?: boolean };
        if (message.type === 'presence') this.events.onStaff?.({ watchers: message.watchers ?? 0, takenOver: message.takenOver === true });
        if (message.type === 'recording') this.events.onStaff?.({ recording: message.on === true });
        if (message.type === 'pong') this.awaitingPong = 0;
        if (message.type === 'status' && message.state === 'connected') {
          this.events.onStatus('connected', t('screen.connected'), false);
          this.control({ type: 'resize', cols: this.term.cols, rows: this.term.rows });
        }
        if (message.type === 'error') lastError = said(message);
        return;
      }
      const bytes = new Uint8Array(event.data as ArrayBuffer);
      this.pending += bytes.length;
      if (!this.paused && this.pending > PAUSE_AT) {
        this.paused = true;
        this.control({ type: 'pause' });
      }
      this.term.write(bytes, () => {
        this.pending -= bytes.length;
        if (this.paused && this.pending < RESUME_AT) {
          this.paused = false;
          this.control({ type: 'resume' });
        }
      });
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.stopPinging();
      this.ws = undefined;
      const ended = event.code === 1000 && event.reason === 'shell ended';
      this.events.onStatus('closed', lastError || (ended ? t('screen.shellEnded') : t('screen.terminalInterrupted')), true);
    };
    ws.onopen = () => this.startPinging(ws);
  }

  disconnect(): void {
    const ws = this.ws;
    this.ws = undefined;
    this.stopPinging();
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000, 'page closed the terminal');
  }

  private startPinging(ws: WebSocket): void {
    this.awaitingPong = 0;
    this.pinger = window.setInterval(() => {
      // Two missed pongs: the network dropped without a close (a blip, a sleeping laptop); start over.
      if (this.awaitingPong >= 2) return ws.close(4000, 'no pong');
      this.awaitingPong++;
      this.control({ type: 'ping' });
    }, PING_MS);
  }

  private stopPinging(): void {
    if (this.pinger !== undefined) window.clearInterval(this.pinger);
    this.pinger = undefined;
  }

  private sendInput(bytes: Uint8Array<ArrayBuffer>): void {
    if (this.readOnly) return;
    this.events.onInput();
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(bytes);
  }

  private control(message: object): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }
}
