/**
 * The instructor's view of a learner's VNC desktop: noVNC on the gateway's desktop-shadow socket
 * (src/gateway/desktop-shadow-bridge.ts), view-only until the gateway confirms a take-over. The gateway
 * drops the instructor's keys and pointer itself while watching; noVNC's viewOnly only spares sending them.
 *
 * The socket carries RFB in binary frames and the gateway's JSON control (`mode`, `pong`) in text frames.
 * noVNC would read every frame as RFB, so it gets the socket through ControlChannel, which keeps the
 * text frames for this view and hands noVNC the rest.
 */
import RFB from '@novnc/novnc';
import type { ShadowGrant } from '../src/http/routes/class-api.ts';
import { t } from './i18n.ts';
import { shadowClosedKey } from './shadow-close.ts';
import type { ShadowEvents } from './shadow-view.ts';

type Handler<E extends Event> = ((event: E) => void) | null;

/**
 * A WebSocket as noVNC's Websock.attach() wants one (send, close, binaryType, protocol, readyState and
 * the on* handlers), minus the text frames, which go to `onControl`.
 */
class ControlChannel {
  onopen: Handler<Event> = null;
  onclose: Handler<CloseEvent> = null;
  onerror: Handler<Event> = null;
  onmessage: Handler<MessageEvent> = null;
  /** The close code (noVNC's disconnect event does not carry it), which says why the view closed. */
  closeCode = 1000;

  constructor(
    readonly ws: WebSocket,
    onControl: (message: { type: string; mode?: 'watch' | 'takeover' }) => void,
  ) {
    ws.binaryType = 'arraybuffer';
    ws.onopen = (event) => this.onopen?.(event);
    ws.onclose = (event) => {
      this.closeCode = event.code;
      this.onclose?.(event);
    };
    ws.onerror = (event) => this.onerror?.(event);
    ws.onmessage = (event: MessageEvent) => {
      if (typeof event.data === 'string') return onControl(JSON.parse(event.data) as { type: string });
      this.onmessage?.(event);
    };
  }

  get binaryType(): BinaryType {
    return this.ws.binaryType;
  }

  set binaryType(value: BinaryType) {
    this.ws.binaryType = value;
  }

  get protocol(): string {
    return this.ws.protocol;
  }

  get readyState(): number {
    return this.ws.readyState;
  }

  send(data: ArrayBufferLike | ArrayBufferView | string): void {
    this.ws.send(data as ArrayBuffer);
  }

  close(code?: number, reason?: string): void {
    this.ws.close(code, reason);
  }
}

export class DesktopShadowView {
  private rfb: RFB | undefined;
  private channel: ControlChannel | undefined;

  constructor(
    private readonly container: HTMLElement,
    private readonly events: ShadowEvents,
  ) {}

  connect(grant: ShadowGrant): void {
    this.close();
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const channel = new ControlChannel(new WebSocket(`${scheme}://${location.host}${grant.path}`, grant.protocols), (message) => {
      if (message.type !== 'mode' || !message.mode) return;
      if (this.rfb) this.rfb.viewOnly = message.mode !== 'takeover';
      this.events.onMode(message.mode);
    });
    this.channel = channel;
    const rfb = new RFB(this.container, channel as unknown as WebSocket, { shared: true });
    rfb.viewOnly = true;
    rfb.scaleViewport = true;
    // The learner's page sizes the desktop; a watcher's window must not resize it under them.
    rfb.resizeSession = false;
    rfb.background = '#20232a';
    this.rfb = rfb;
    this.events.onStatus(t('class.shadowConnectingDesktop'));
    rfb.addEventListener('connect', () => this.events.onStatus(t('class.shadowConnectedDesktop')));
    rfb.addEventListener('disconnect', () => {
      if (this.rfb !== rfb) return;
      this.rfb = undefined;
      this.channel = undefined;
      this.events.onClosed(t(`${shadowClosedKey(channel.closeCode)}Desktop`));
    });
  }

  takeOver(): void {
    this.control({ type: 'takeover' });
    this.rfb?.focus();
  }

  release(): void {
    this.control({ type: 'release' });
  }

  close(): void {
    const rfb = this.rfb;
    this.rfb = undefined;
    this.channel = undefined;
    rfb?.disconnect();
  }

  dispose(): void {
    this.close();
    this.container.replaceChildren();
  }

  private control(message: object): void {
    if (this.channel?.readyState === WebSocket.OPEN) this.channel.ws.send(JSON.stringify(message));
  }
}
