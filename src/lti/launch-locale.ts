/**
 * The learner's language as the platform states it: `launch_presentation.locale` (LTI 1.3 core, e.g.
 * "de", "pt-BR"; some platforms send "pt_BR"). Only a well-formed tag is passed on, since it goes into a URL.
 */
import { CLAIM } from './claims.ts';
import type { VerifiedLaunch } from './verify-launch.ts';

export function launchLocale(launch: Pick<VerifiedLaunch, 'claims'>): string | undefined {
  const presentation = launch.claims[CLAIM.launchPresentation];
  if (!presentation || typeof presentation !== 'object') return undefined;
  const locale = (presentation as { locale?: unknown }).locale;
  return typeof locale === 'string' && /^[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8}){0,4}$/.test(locale) ? locale : undefined;
}
