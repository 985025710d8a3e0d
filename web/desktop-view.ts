/** The desktop: noVNC in the page, connected through the gateway's WebSocket-to-TCP bridge. */
import RFB from '@novnc/novnc';
import type { ConnectionGrant } from '../src/http/routes/learner-api.ts';
import { t } from './i18n.ts';

export interface DesktopEvents {
  onStatus(state: 'connecting' | 'connected' | 'closed', message: string, retry: boolean): void;
}

/**
 * The element noVNC draws in: the container's content box cut down to whole CSS pixels, and kept so as
 * the page resizes. noVNC (resizeSession) asks the desktop for its element's size whenever that differs
 * from the desktop's, comparing the fractional size of the element (642.8125 px high under a header of
 * fractional height) with the desktop's whole pixels: they never matched, so it sent the same
 * SetDesktopSize every 100 ms for as long as the page was open. Each one is a screen-layout change for
 * every viewer of the desktop, and Xvnc 1.12 drops a viewer that gets one while it is still connecting,
 * which is how an instructor starting to watch lost the desktop about half the time.
 */
function wholePixelScreen(container: HTMLElement): HTMLElement {
  const screen = document.createElement('div');
  screen.className = 'desktop-screen';
  const fit = (width: number, height: number) => {
    screen.style.width = `${Math.floor(width)}px`;
    screen.style.height = `${Math.floor(height)}px`;
  };
  new ResizeObserver(([entry]) => fit(entry.contentRect.width, entry.contentRect.height)).observe(container);
  container.append(screen);
  return screen;
}

export class DesktopView {
  private rfb: RFB | undefined;
  private readonly screen: HTMLElement;

  constructor(
    private readonly container: HTMLElement,
    private readonly readOnly: boolean,
    private readonly events: DesktopEvents,
  ) {
    this.screen = wholePixelScreen(container);
  }

  get connected(): boolean {
    return this.rfb !== undefined && this.container.querySelector('canvas') !== null;
  }

  connect(grant: ConnectionGrant): void {
    this.disconnect();
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const rfb = new RFB(this.screen, `${scheme}://${location.host}${grant.path}`, { wsProtocols: grant.protocols, shared: true });
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
