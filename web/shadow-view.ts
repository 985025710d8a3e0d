/**
 * The instructor's view of a learner's terminal: an xterm fed by the gateway's shadow socket
 * (src/gateway/shadow-bridge.ts). Keystrokes are sent only while taken over; the server drops them
 * otherwise too, so the view's own check is for the instructor's eyes, not for safety.
 */
import { Terminal } from '@xterm/xterm';
import { sayTerminalStrings } from './terminal-strings.ts';
import type { ShadowGrant } from '../src/http/routes/class-api.ts';
import { t } from './i18n.ts';
import { shadowClosedKey } from './shadow-close.ts';
import { THEMES } from './terminal-themes.ts';

/** The gateway's status lines by their state, in the page's language (its own sentence is English). */
const STATUS: Record<string, string | undefined> = { connecting: 'class.shadowConnecting', connected: 'class.shadowConnected', waiting: 'class.shadowWaiting' };

export interface ShadowEvents {
  onStatus(message: string): void;
  onMode(mode: 'watch' | 'takeover'): void;
  onClosed(message: string): void;
}

export class ShadowView {
  readonly term: Terminal;
  private ws: WebSocket | undefined;
  private mode: 'watch' | 'takeover' = 'watch';
  private readonly encoder = new TextEncoder();

  constructor(container: HTMLElement, private readonly events: ShadowEvents) {
    sayTerminalStrings();
    this.term = new Terminal({ fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace', fontSize: 14, theme: THEMES.dark, scrollback: 5000, cols: 100, rows: 28 });
    this.term.open(container);
    this.term.onData((data) => this.sendInput(this.encoder.encode(data)));
  }

  connect(grant: ShadowGrant): void {
    this.close();
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}${grant.path}`, grant.protocols);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onmessage = (event) => {
      if (typeof event.data !== 'string') return this.term.write(new Uint8Array(event.data as ArrayBuffer));
      const message = JSON.parse(event.data) as { type: string; state?: string; message?: string; mode?: 'watch' | 'takeover' };
      if (message.type === 'status') {
        const key = STATUS[message.state ?? ''];
        const text = key ? t(key) : message.message;
        if (text) this.events.onStatus(text);
      }
      if (message.type === 'mode' && message.mode) {
        this.mode = message.mode;
        this.events.onMode(message.mode);
      }
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.events.onClosed(t(shadowClosedKey(event.code)));
    };
  }

  takeOver(): void {
    this.control({ type: 'takeover' });
    this.term.focus();
  }

  release(): void {
    this.control({ type: 'release' });
  }

  close(): void {
    const ws = this.ws;
    this.ws = undefined;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000, 'instructor stopped watching');
  }

  dispose(): void {
    this.close();
    this.term.dispose();
  }

  private sendInput(bytes: Uint8Array<ArrayBuffer>): void {
    if (this.mode !== 'takeover') return;
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(bytes);
  }

  private control(message: object): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }
}
