/**
 * The RDP desktop: guacamole-common-js draws what guacd sends, through the gateway (which did the
 * handshake with the lab's password, so the page never has it). The session is asked for the panel's
 * size and follows it when the panel resizes; the display is scaled to fit meanwhile. Keyboard and
 * mouse go to the lab unless the lab is read-only (then the gateway and guacd drop input too).
 * Like the other views it reports connecting / connected / closed and leaves reconnecting to the page.
 */
import Guacamole from 'guacamole-common-js';
import { GatewayTunnel, type GatewaySentence } from './guacamole-tunnel.ts';
import type { ConnectionGrant } from '../src/http/routes/learner-api.ts';
import { t } from './i18n.ts';

export interface RdpEvents {
  onStatus(state: 'connecting' | 'connected' | 'closed', message: string, retry: boolean): void;
  onInput(): void;
}

const PADDING = 8;
/** Not worth retrying: the gateway's set-up errors, and a login or request the lab refuses. */
const FINAL_CODES = new Set([0x0100, 0x0200, 0x0300, 0x0301, 0x0303]);

function explain(status: Guacamole.Status | undefined, fromGateway: boolean, said: GatewaySentence | undefined): { message: string; retry: boolean } {
  if (!status || status.code === 0) return { message: t('screen.desktopEnded'), retry: true };
  const retry = !FINAL_CODES.has(status.code);
  // Before guacd's connection id arrives the error is the gateway's, written for the learner: said in
  // the page's language by its catalogue key, else as the gateway wrote it.
  if (fromGateway && said) {
    const text = t(said.key, said.values);
    if (text !== said.key) return { message: text, retry };
  }
  if (fromGateway && status.message) return { message: status.message, retry };
  if (status.code === 0x0301 || status.code === 0x0303) return { message: t('screen.desktopLoginRefused'), retry };
  if (status.code >= 0x0202 && status.code <= 0x0208) return { message: t('screen.desktopNoAnswer'), retry };
  return { message: t('screen.desktopInterrupted'), retry };
}

export class RdpView {
  private client: Guacamole.Client | undefined;
  private resizeTimer: number | undefined;

  constructor(
    private readonly container: HTMLElement,
    private readonly readOnly: boolean,
    private readonly events: RdpEvents,
  ) {
    container.tabIndex = 0;
    container.style.outline = 'none';
    new ResizeObserver(() => this.fit()).observe(container);
    if (!readOnly) {
      // One keyboard for the panel, sending to whichever session is current.
      const keyboard = new Guacamole.Keyboard(container);
      keyboard.onkeydown = (keysym) => {
        this.client?.sendKeyEvent(1, keysym);
        this.events.onInput();
        return false;
      };
      keyboard.onkeyup = (keysym) => this.client?.sendKeyEvent(0, keysym);
      container.addEventListener('blur', () => keyboard.reset());
    }
  }

  get connected(): boolean {
    return this.client !== undefined && this.container.querySelector('canvas') !== null;
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(64, this.container.clientWidth - PADDING), height: Math.max(64, this.container.clientHeight - PADDING) };
  }

  connect(grant: ConnectionGrant): void {
    this.disconnect();
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const tunnel = new GatewayTunnel(`${scheme}://${location.host}${grant.path}`, grant.protocols);
    const client = new Guacamole.Client(tunnel);
    this.client = client;
    let failure: Guacamole.Status | undefined;
    let fromGateway = true;
    tunnel.onerror = (status) => (failure ??= status);
    tunnel.onstatechange = (state) => {
      if (state === Guacamole.Tunnel.State.OPEN) fromGateway = false;
      if (state === Guacamole.Tunnel.State.CLOSED) client.disconnect();
    };
    client.onerror = (status) => (failure ??= status);
    client.onstatechange = (state) => {
      if (this.client !== client) return;
      if (state === Guacamole.Client.State.CONNECTED) this.events.onStatus('connected', t('screen.connected'), false);
      if (state === Guacamole.Client.State.DISCONNECTED) {
        this.client = undefined;
        const { message, retry } = explain(failure, fromGateway, tunnel.said);
        this.events.onStatus('closed', message, retry);
      }
    };

    const display = client.getDisplay();
    const element = display.getElement();
    this.container.replaceChildren(element);
    display.onresize = () => this.fit();
    if (!this.readOnly) {
      element.style.cursor = 'none';
      const mouse = new Guacamole.Mouse(element);
      mouse.onEach(['mousedown', 'mouseup', 'mousemove'], (event) => {
        client.sendMouseState(event.state, true);
        this.events.onInput();
      });
      element.addEventListener('mousedown', () => this.container.focus());
    } else {
      display.showCursor(false);
    }

    const { width, height } = this.size();
    const query = new URLSearchParams({ width: String(width), height: String(height), dpi: '96' });
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tz) query.set('tz', tz);
    for (const type of Guacamole.AudioPlayer.getSupportedTypes()) query.append('audio', type);
    for (const type of Guacamole.VideoPlayer.getSupportedTypes()) query.append('video', type);
    for (const type of ['image/png', 'image/jpeg', 'image/webp']) query.append('image', type);
    this.events.onStatus('connecting', t('screen.connectingDesktop'), false);
    client.connect(query.toString());
  }

  /** Scales the remote screen into the panel; asks the lab for the panel's size once resizing settles. */
  private fit(): void {
    const client = this.client;
    if (!client) return;
    const display = client.getDisplay();
    const { width, height } = this.size();
    if (display.getWidth() > 0 && display.getHeight() > 0) display.scale(Math.min(width / display.getWidth(), height / display.getHeight()));
    window.clearTimeout(this.resizeTimer);
    this.resizeTimer = window.setTimeout(() => {
      if (this.client === client && (display.getWidth() !== width || display.getHeight() !== height)) client.sendSize(width, height);
    }, 300);
  }

  focus(): void {
    this.container.focus();
  }

  disconnect(): void {
    const client = this.client;
    this.client = undefined;
    window.clearTimeout(this.resizeTimer);
    client?.disconnect();
  }
}
