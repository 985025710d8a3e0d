/** The desktop: noVNC in the page, connected through the gateway's WebSocket-to-TCP bridge. */
import RFB from '@novnc/novnc';
import type { ConnectionGrant } from '../src/http/routes/learner-api.ts';
import { t } from './i18n.ts';

export interface DesktopEvents {
  onStatus(state: 'connecting' | 'connected' | 'closed', message: string, retry: boolean): void;
}

export class DesktopView {
  private rfb: RFB | undefined;

  constructor(
    private readonly container: HTMLElement,
    private readonly readOnly: boolean,
    private readonly events: DesktopEvents,
  ) {}

  get connected(): boolean {
    return this.rfb !== undefined && this.container.querySelector('canvas') !== null;
  }

  connect(grant: ConnectionGrant): void {
    this.disconnect();
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const rfb = new RFB(this.container, `${scheme}://${location.host}${grant.path}`, { wsProtocols: grant.protocols, shared: true });
    rfb.viewOnly = this.readOnly;
    rfb.scaleViewport = true;
    rfb.resizeSession = true;
    rfb.background = '#20232a';
    this.rfb = rfb;
    this.events.onStatus('connecting', t('screen.connectingDesktop'), false);
    rfb.addEventListener('connect', () => this.events.onStatus('connected', t('screen.connected'), false));
    rfb.addEventListener('disconnect', () => {
      if (this.rfb !== rfb) return;
      this.rfb = undefined;
      this.events.onStatus('closed', t('screen.desktopInterrupted'), true);
    });
    rfb.addEventListener('credentialsrequired', () => {
      this.events.onStatus('closed', t('screen.desktopPassword'), false);
      rfb.disconnect();
    });
  }

  focus(): void {
    this.rfb?.focus();
  }

  disconnect(): void {
    const rfb = this.rfb;
    this.rfb = undefined;
    rfb?.disconnect();
  }
}
