/**
 * The instructor's view of a learner's RDP desktop: guacamole-common-js on the gateway's desktop-shadow
 * socket, where the gateway has joined the learner's own guacd connection (src/gateway/rdp-shadow-bridge.ts).
 * Keys and mouse are sent only once the gateway confirms a take-over (`mode,takeover`); the gateway and,
 * until then, guacd drop them anyway. The view never asks for a size: the learner's page sizes the desktop,
 * and the watcher's display is only scaled into the panel.
 * Control rides in the tunnel's internal instructions: `takeover` and `release` from here, `mode` and
 * `ended` (with the catalogue key of why the watch ended) from the gateway.
 */
import Guacamole from 'guacamole-common-js';
import type { ShadowGrant } from '../src/http/routes/class-api.ts';
import { GatewayTunnel } from './guacamole-tunnel.ts';
import { t } from './i18n.ts';
import type { ShadowEvents } from './shadow-view.ts';

export class RdpShadowView {
  private client: Guacamole.Client | undefined;
  private tunnel: GatewayTunnel | undefined;
  private taking = false;

  constructor(
    private readonly container: HTMLElement,
    private readonly events: ShadowEvents,
  ) {
    container.tabIndex = 0;
    const keyboard = new Guacamole.Keyboard(container);
    keyboard.onkeydown = (keysym) => {
      if (this.taking) this.client?.sendKeyEvent(1, keysym);
      return !this.taking;
    };
    keyboard.onkeyup = (keysym) => {
      if (this.taking) this.client?.sendKeyEvent(0, keysym);
    };
    container.addEventListener('blur', () => keyboard.reset());
    new ResizeObserver(() => this.fit()).observe(container);
  }

  connect(grant: ShadowGrant): void {
    this.close();
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const tunnel = new GatewayTunnel(`${scheme}://${location.host}${grant.path}`, grant.protocols);
    const client = new Guacamole.Client(tunnel);
    this.client = client;
    this.tunnel = tunnel;
    let ended: string | undefined;
    tunnel.oncontrol = ([what, value]) => {
      if (what === 'mode' && (value === 'watch' || value === 'takeover')) {
        this.taking = value === 'takeover';
        if (this.taking) this.container.focus();
        this.events.onMode(value);
      }
      if (what === 'ended' && value) ended = value;
    };
    tunnel.onstatechange = (state) => {
      if (state === Guacamole.Tunnel.State.OPEN) this.events.onStatus(t('class.shadowConnectedDesktop'));
      if (state === Guacamole.Tunnel.State.CLOSED) client.disconnect();
    };
    client.onstatechange = (state) => {
      if (state !== Guacamole.Client.State.DISCONNECTED || this.client !== client) return;
      this.client = undefined;
      this.taking = false;
      // The gateway's reason, in this page's language; else what a closed socket says.
      const key = ended ?? tunnel.said?.key;
      const said = key ? t(key) : '';
      this.events.onClosed(said && said !== key ? said : t('class.shadowClosedDesktop'));
    };

    const display = client.getDisplay();
    display.onresize = () => this.fit();
    const element = display.getElement();
    this.container.replaceChildren(element);
    const mouse = new Guacamole.Mouse(element);
    mouse.onEach(['mousedown', 'mouseup', 'mousemove'], (event) => {
      if (!this.taking) return;
      // The display is scaled into the panel: `true` maps the position back to the learner's desktop.
      client.sendMouseState(event.state, true);
    });
    this.events.onStatus(t('class.shadowConnectingDesktop'));
    const query = new URLSearchParams({ width: String(Math.max(64, this.container.clientWidth)), height: String(Math.max(64, this.container.clientHeight)), dpi: '96' });
    for (const type of ['image/png', 'image/jpeg', 'image/webp']) query.append('image', type);
    client.connect(query.toString());
  }

  /** Scales the learner's screen into the panel, never asking guacd for another size. */
  private fit(): void {
    const display = this.client?.getDisplay();
    if (!display || display.getWidth() <= 0 || display.getHeight() <= 0) return;
    display.scale(Math.min(this.container.clientWidth / display.getWidth(), this.container.clientHeight / display.getHeight()));
  }

  takeOver(): void {
    this.tunnel?.sendMessage('', 'takeover');
  }

  release(): void {
    this.tunnel?.sendMessage('', 'release');
  }

  close(): void {
    const client = this.client;
    this.client = undefined;
    this.tunnel = undefined;
    this.taking = false;
    client?.disconnect();
  }

  dispose(): void {
    this.close();
    this.container.replaceChildren();
  }
}
