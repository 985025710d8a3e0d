/**
 * What the learner is told about course staff on the lab page: that their terminal is recorded, that
 * an instructor is watching it, that one took it over (the gateway sends these, src/gateway/
 * live-terminals.ts; for a desktop the status poll carries them, src/gateway/desktop-watchers.ts); and,
 * for course staff themselves, the link to the class view.
 */
import type { Api } from './api-client.ts';
import { pageLocale, t } from './i18n.ts';
import { dom } from './page-dom.ts';

/** Who watches, and what: the learner's terminal (its socket says so) or desktop (the status poll says so). */
export interface WatchNotice {
  watchers: number;
  takenOver: boolean;
  screen?: 'terminal' | 'desktop';
}

let watching: WatchNotice = { watchers: 0, takenOver: false };
let recording = false;

export function showStaffNotice(notice: WatchNotice | { recording: boolean }): void {
  if ('recording' in notice) recording = notice.recording;
  else watching = notice;
  dom.recordingNotice.hidden = !recording;
  dom.recordingNotice.textContent = recording ? t('screen.recorded') : '';
  dom.watchNotice.hidden = watching.watchers === 0;
  const desktop = watching.screen === 'desktop';
  dom.watchNotice.textContent = watching.takenOver
    ? t(desktop ? 'screen.instructorTypingDesktop' : 'screen.instructorTyping')
    : watching.watchers
      ? t(desktop ? 'screen.instructorWatchingDesktop' : 'screen.instructorWatching', { count: watching.watchers })
      : '';
  dom.staffNotice.hidden = dom.recordingNotice.hidden && dom.watchNotice.hidden;
  dom.staffNotice.dataset.takenOver = String(watching.takenOver);
}

/** Shows the "Class view" link to a session with instructor rights (the class API checks it again). */
export async function offerClassView(api: Api, session: string): Promise<void> {
  const me = await api.get<{ roles: string[] }>('/api/v1/me').catch(() => undefined);
  if (!me?.roles.includes('Instructor')) return;
  // The class view speaks the page's language, which came from the LTI launch (docs/i18n.md).
  dom.classLink.href = `/class?lang=${encodeURIComponent(pageLocale)}#session=${encodeURIComponent(session)}`;
  dom.classLink.hidden = false;
}
