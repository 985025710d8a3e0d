/** The languages stacklab ships and how they are written. Catalogues: locales/<locale>.json. */
import { PSEUDO_LOCALES } from './pseudo.ts';

/** Shipped catalogues; `en` is the source every other catalogue is checked against. */
export const SHIPPED_LOCALES = ['en', 'de', 'es', 'fr', 'pt-BR', 'zh-CN'] as const;
export type ShippedLocale = (typeof SHIPPED_LOCALES)[number];
export const SOURCE_LOCALE: ShippedLocale = 'en';

/** Every locale a page may be rendered in: the shipped ones and the test pseudo-locales. */
export const ALL_LOCALES: readonly string[] = [...SHIPPED_LOCALES, ...PSEUDO_LOCALES];

const RTL_LANGUAGES = new Set(['ar', 'he', 'fa', 'ur', 'ps', 'sd', 'yi', 'dv', 'ckb']);

/** `rtl` for Arabic, Hebrew, Persian and the other right-to-left scripts (and the ar-XB pseudo-locale). */
export function textDirection(locale: string): 'ltr' | 'rtl' {
  return RTL_LANGUAGES.has(locale.split('-')[0].toLowerCase()) ? 'rtl' : 'ltr';
}
