/**
 * A member of the course staff watching a learner's VNC desktop. Unlike a terminal, a desktop needs no
 * session of the learner's to hang on to: Xvnc serves several viewers of the same screen at once (the
 * lab's `-AlwaysShared`, and the filter forces ClientInit's shared flag), so the watcher gets an RFB
 * connection of its own through the stack's SSH tunnel and sees what the learner sees, live.
 *
 * Its browser bytes always go through RfbInputFilter, closed to input: keys, pointer and clipboard stop
 * here, on the server, whatever the page does. `{type:"takeover"}` (a text frame; allowed unless the
 * grant or the lab is read-only) opens the filter, `{type:"release"}` closes it again and lets go of any
 * key or button still held. The watcher is told its mode as `{type:"mode"}` text frames; its page keeps
 * them away from noVNC. The learner's page learns about the watcher from its status poll
 * (desktop-watchers.ts).
 */
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { ConnectionReport } from './connection-failure-log.ts';
import type { DesktopWatch } from './desktop-watchers.ts';
import type { OpenedTunnel } from './open-target.ts';
import { RfbInputFilter } from './rfb-input-filter.ts';
import { parseControl, sendControl } from './socket-messages.ts';
import { bridgeVnc } from './vnc-bridge.ts';

export interface DesktopShadowOptions {
  logger: Logger;
  report: ConnectionReport;
  /** Whether this watcher may take over (not with a read-only grant, not on a read-only lab). */
  mayTakeOver: boolean;
  /** This watcher's entry in the stack's presence, which the learner's page polls. */
  watch: DesktopWatch;
  /** A take-over started or ended, for the stack's history. */
  onTakeOver?: (taking: boolean) => void;
}

export function bridgeDesktopShadow(ws: WebSocket, open: () => Promise<OpenedTunnel>, opts: DesktopShadowOptions): void {
  const filter = new RfbInputFilter();
  let takingOver = false;
  let ended = false;

  const setMode = (taking: boolean) => {
    if (ended || takingOver === taking) return;
    takingOver = taking;
    // Closing the filter answers with the releases of held keys and buttons: they go on to the desktop.
    bridge.inject(filter.allowInput(taking));
    opts.watch.takeOver(taking);
    opts.onTakeOver?.(taking);
    sendControl(ws, { type: 'mode', mode: taking ? 'takeover' : 'watch' });
  };

  const bridge = bridgeVnc(ws, open, {
    logger: opts.logger,
    report: opts.report,
    filter,
    onText(text) {
      const control = parseControl(text);
      if (control?.type === 'ping') sendControl(ws, { type: 'pong' });
      if (control?.type === 'takeover' && opts.mayTakeOver) setMode(true);
      if (control?.type === 'release') setMode(false);
    },
  });

  // Xvnc lets go of a departing viewer's held keys itself; what is left is to say the take-over ended.
  ws.once('close', () => {
    if (takingOver) opts.onTakeOver?.(false);
    ended = true;
    opts.watch.leave();
  });
  sendControl(ws, { type: 'mode', mode: 'watch' });
}
