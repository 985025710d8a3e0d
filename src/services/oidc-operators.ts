/**
 * Who is an operator when the console signs people in with the deployment's OpenID provider
 * (docs/console.md): the settings read once at start (a half-configured sign-in stops the start instead of
 * failing at the first click), the rule that admits or refuses a user from their claims, and the name the
 * console and the stacks' history show for them. No network here: the flow itself is oidc-sign-in.ts.
 */
import type { Config } from '../config/schema.ts';
import { ConfigError } from '../config/load-config.ts';
import { nameProblem } from './operator-accounts.ts';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  /** Undefined for a public client; never logged (a `secret` setting). */
  clientSecret: string | undefined;
  scopes: string;
  /** The name on the sign-in page's button. */
  providerName: string;
  /** Where the provider sends the browser back: derived from public_url so it is the one registered there. */
  redirectUri: string;
  emails: Set<string>;
  subjects: Set<string>;
  claim: { name: string; value: string } | undefined;
}

type OidcConfig = Pick<
  Config,
  'oidc_issuer' | 'oidc_client_id' | 'oidc_client_secret' | 'oidc_scopes' | 'oidc_provider_name' | 'oidc_operators' | 'oidc_operator_claim' | 'public_url' | 'port'
>;

/** The OIDC sign-in's settings, or null when it is off (no issuer). Throws a ConfigError when incomplete. */
export function oidcSettings(config: OidcConfig): OidcSettings | null {
  const issuer = config.oidc_issuer;
  if (!issuer) {
    const stray = (['oidc_client_id', 'oidc_client_secret', 'oidc_operator_claim'] as const).filter((key) => config[key] !== undefined);
    if (stray.length || config.oidc_operators.trim()) throw new ConfigError([`${[...stray, ...(config.oidc_operators.trim() ? ['oidc_operators'] : [])].join(', ')}: set without oidc_issuer, so OIDC sign-in is off; set oidc_issuer or remove them`]);
    return null;
  }
  const problems: string[] = [];
  if (!config.oidc_client_id) problems.push('oidc_client_id (STACKLAB_OIDC_CLIENT_ID): required when oidc_issuer is set');
  const emails = new Set<string>();
  const subjects = new Set<string>();
  for (const entry of config.oidc_operators.split(/[\s,]+/).filter(Boolean)) {
    if (entry.startsWith('sub:') && entry.length > 4) subjects.add(entry.slice(4));
    else if (/^[^@\s]+@[^@\s]+$/.test(entry)) emails.add(entry.toLowerCase());
    else problems.push(`oidc_operators (STACKLAB_OIDC_OPERATORS): "${entry.slice(0, 80)}" is neither an e-mail address nor sub:<subject>`);
  }
  const claim = config.oidc_operator_claim ? splitClaim(config.oidc_operator_claim) : undefined;
  // Without either, every account the provider knows would be an operator: refused rather than assumed.
  if (emails.size === 0 && subjects.size === 0 && !claim && !problems.some((p) => p.startsWith('oidc_operators'))) {
    problems.push('oidc_operators or oidc_operator_claim: one is required when oidc_issuer is set, or every account of the provider would be an operator');
  }
  if (problems.length) throw new ConfigError(problems);
  const scopes = config.oidc_scopes.split(' ');
  const base = (config.public_url ?? `http://localhost:${config.port}`).replace(/\/+$/, '');
  return {
    issuer,
    clientId: config.oidc_client_id!,
    clientSecret: config.oidc_client_secret,
    scopes: (scopes.includes('openid') ? scopes : ['openid', ...scopes]).join(' '),
    providerName: config.oidc_provider_name?.trim() || new URL(issuer).hostname,
    redirectUri: `${base}/console/oidc/callback`,
    emails,
    subjects,
    claim,
  };
}

function splitClaim(setting: string): { name: string; value: string } {
  const at = setting.indexOf('=');
  return { name: setting.slice(0, at), value: setting.slice(at + 1) };
}

/** The claims of a signed-in user: the ID token's, completed by the userinfo endpoint's. */
export type Claims = Record<string, unknown>;

export type Verdict = { operator: true; name: string; via: 'email' | 'subject' | 'claim' } | { operator: false; why: 'not-listed' | 'no-usable-name'; name: string };

/**
 * Admits the user when their subject or verified e-mail is listed, or the required claim holds the value;
 * either is enough. The name shown (and written in the history) is preferred_username, else the e-mail,
 * else the subject: the first that is a valid operator name.
 */
export function judge(settings: Pick<OidcSettings, 'emails' | 'subjects' | 'claim'>, claims: Claims): Verdict {
  const sub = typeof claims.sub === 'string' ? claims.sub : '';
  // An address the provider says is unverified could be anyone's: it never matches the list.
  const email = typeof claims.email === 'string' && claims.email_verified !== false && claims.email_verified !== 'false' ? claims.email.toLowerCase() : undefined;
  const candidates = [claims.preferred_username, claims.email, sub].filter((v): v is string => typeof v === 'string' && v.length > 0);
  const name = candidates.find((c) => nameProblem(c) === null);
  const shown = name ?? candidates[0] ?? '?';
  let via: 'email' | 'subject' | 'claim' | undefined;
  if (sub && settings.subjects.has(sub)) via = 'subject';
  else if (email && settings.emails.has(email)) via = 'email';
  else if (settings.claim && holds(claims[settings.claim.name], settings.claim.value)) via = 'claim';
  if (!via) return { operator: false, why: 'not-listed', name: shown };
  if (!name) return { operator: false, why: 'no-usable-name', name: shown };
  return { operator: true, name, via };
}

function holds(claim: unknown, value: string): boolean {
  if (Array.isArray(claim)) return claim.some((v) => v === value);
  return claim === value;
}
