/**
 * The page's language: the locale and messages the server embedded in the page (learner-page.ts), formatted
 * with the same ICU MessageFormat code the server uses. `t('lab.tryAgain')` anywhere in web/.
 */
import { createTranslator, formatDuration, type Messages, type MessageValues } from '../src/infra/i18n/formatter.ts';

function embedded(): { locale: string; messages: Messages } {
  const text = document.getElementById('i18n-messages')?.textContent;
  if (!text) return { locale: document.documentElement.lang || 'en', messages: {} };
  return JSON.parse(text) as { locale: string; messages: Messages };
}

const { locale, messages } = embedded();
const translate = createTranslator(locale, messages);

export const pageLocale = locale;

export function t(key: string, values?: MessageValues): string {
  return translate(key, values);
}

export function duration(ms: number): string {
  return formatDuration(ms, locale);
}
