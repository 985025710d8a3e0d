/** The elements of the lab page shell (served by src/http/routes/learner-page.ts). */
import { elementLookup } from './element-lookup.ts';

const el = elementLookup('lab page');

export const dom = {
  title: el('lab-title'),
  badge: el('state-badge'),
  elapsed: el('elapsed'),
  usageLeft: el('usage-left'),
  serverPicker: el('server-picker'),
  serverSelect: el<HTMLSelectElement>('server-select'),
  fullscreen: el<HTMLButtonElement>('btn-fullscreen'),
  newWindow: el<HTMLButtonElement>('btn-window'),
  reset: el<HTMLButtonElement>('btn-reset'),
  classLink: el<HTMLAnchorElement>('btn-class'),
  staffNotice: el('staff-notice'),
  recordingNotice: el('recording-notice'),
  watchNotice: el('watch-notice'),
  layout: el('layout'),
  instructions: el('instructions'),
  workspace: el('workspace'),
  terminal: el('terminal'),
  desktop: el('desktop'),
  overlay: el('overlay'),
  overlayTitle: el('overlay-title'),
  overlayMessage: el('overlay-message'),
  overlayElapsed: el('overlay-elapsed'),
  overlayError: el('overlay-error'),
  overlayAction: el<HTMLButtonElement>('overlay-action'),
  idleWarning: el('idle-warning'),
  idleCountdown: el('idle-countdown'),
  stillHere: el<HTMLButtonElement>('btn-still-here'),
  resetDialog: el<HTMLDialogElement>('reset-dialog'),
  resetInput: el<HTMLInputElement>('reset-input'),
  resetConfirm: el<HTMLButtonElement>('reset-confirm'),
};

export interface OverlayContent {
  title: string;
  message: string;
  elapsed?: string;
  error?: string | null;
  action?: { label: string; run: () => void } | null;
  busy?: boolean;
}

let overlayAction: (() => void) | undefined;
dom.overlayAction.addEventListener('click', () => overlayAction?.());

export function showOverlay(content: OverlayContent): void {
  dom.overlay.hidden = false;
  dom.overlay.dataset.busy = String(content.busy ?? true);
  dom.overlayTitle.textContent = content.title;
  dom.overlayMessage.textContent = content.message;
  dom.overlayElapsed.textContent = content.elapsed ?? '';
  dom.overlayError.hidden = !content.error;
  dom.overlayError.textContent = content.error ?? '';
  dom.overlayAction.hidden = !content.action;
  dom.overlayAction.textContent = content.action?.label ?? '';
  overlayAction = content.action?.run;
}

export function hideOverlay(): void {
  dom.overlay.hidden = true;
}
