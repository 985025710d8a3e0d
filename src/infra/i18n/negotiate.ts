/**
 * Which language to speak to a learner: the first explicit choice (the LTI launch's
 * `launch_presentation.locale`, carried to the page as `?lang=`) that we have, then the browser's
 * Accept-Language in order of preference, then the deployment's default. A pure function.
 */
import { ALL_LOCALES, SHIPPED_LOCALES } from './locale-info.ts';
import { isPseudoLocale, PSEUDO_LOCALES } from './pseudo.ts';

/** Traditional Chinese readers are better served by the default than by Simplified characters. */
const TRADITIONAL_CHINESE = /^zh-(hant|tw|hk|mo)\b/i;

/**
 * The available locale for a requested tag (`de-AT` → `de`, `pt` → `pt-BR`, `en_US` as LMSs send it → `en`),
 * or undefined. Pseudo-locales only when asked for by their exact name.
 */
export function matchLocale(requested: string): string | undefined {
  const tag = requested.trim().replace(/_/g, '-');
  if (!/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(tag)) return undefined;
  const exact = ALL_LOCALES.find((locale) => locale.toLowerCase() === tag.toLowerCase());
  if (exact) return exact;
  if (TRADITIONAL_CHINESE.test(tag)) return undefined;
  const language = tag.split('-')[0].toLowerCase();
  return SHIPPED_LOCALES.find((locale) => !isPseudoLocale(locale) && locale.split('-')[0] === language);
}

/** The tags of an Accept-Language header, most preferred first (`q=0` means "not this one"). */
export function parseAcceptLanguage(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((part, index) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([01](?:\.\d{0,3})?)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((entry) => entry.tag && entry.tag !== '*' && entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((entry) => entry.tag);
}

/**
 * The best of `available` (any language tags, such as the languages a lab's instructions come in) for
 * tags in order of preference: an exact match first, then the same language (`de-AT` → `de`,
 * `pt` → `pt-BR`), then nothing.
 */
export function bestMatch(preferred: string[], available: string[]): string | undefined {
  const norm = (tag: string) => tag.trim().replace(/_/g, '-').toLowerCase();
  for (const tag of preferred) {
    const exact = available.find((a) => norm(a) === norm(tag));
    if (exact) return exact;
    if (TRADITIONAL_CHINESE.test(norm(tag))) continue;
    const language = norm(tag).split('-')[0];
    const same = available.find((a) => norm(a).split('-')[0] === language && !TRADITIONAL_CHINESE.test(norm(a)));
    if (same) return same;
  }
  return undefined;
}

export function negotiateLocale(input: { explicit?: (string | undefined)[]; acceptLanguage?: string; fallback: string }): string {
  for (const choice of input.explicit ?? []) {
    const found = choice ? matchLocale(choice) : undefined;
    if (found) return found;
  }
  for (const tag of parseAcceptLanguage(input.acceptLanguage)) {
    const found = matchLocale(tag);
    if (found && !isPseudoLocale(found)) return found;
  }
  return input.fallback;
}

/**
 * The language to answer an API request in, from its Accept-Language alone (the lab page sends its own
 * language first): a pseudo-locale named exactly (the page's own, in tests), else the best shipped one,
 * else undefined (the English source).
 */
export function answerLocale(acceptLanguage: string | undefined): string | undefined {
  for (const tag of parseAcceptLanguage(acceptLanguage)) {
    const pseudo = PSEUDO_LOCALES.find((locale) => locale.toLowerCase() === tag.toLowerCase());
    if (pseudo) return pseudo;
    const shipped = bestMatch([tag], [...SHIPPED_LOCALES]);
    if (shipped) return shipped;
  }
  return undefined;
}
