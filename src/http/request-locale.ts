/**
 * The language of a page the server renders: an explicit choice first (the lab page's `?lang=`, set from
 * the LTI launch's locale; a verified launch's own locale), then the browser's Accept-Language, then the
 * deployment's default_locale (docs/i18n.md).
 */
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/schema.ts';
import { translator } from '../infra/i18n/catalogues.ts';
import type { Translate } from '../infra/i18n/formatter.ts';
import { negotiateLocale } from '../infra/i18n/negotiate.ts';

export function requestLocale(config: Pick<Config, 'default_locale'>, request: FastifyRequest, explicit: (string | undefined)[] = []): string {
  const query = request.query as { lang?: unknown } | undefined;
  return negotiateLocale({
    explicit: [...explicit, typeof query?.lang === 'string' ? query.lang : undefined],
    acceptLanguage: request.headers['accept-language'],
    fallback: config.default_locale,
  });
}

export function pageLanguage(config: Pick<Config, 'default_locale'>, request: FastifyRequest, explicit: (string | undefined)[] = []): { locale: string; t: Translate } {
  const locale = requestLocale(config, request, explicit);
  return { locale, t: translator(locale) };
}
