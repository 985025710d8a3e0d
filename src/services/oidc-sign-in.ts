/**
 * The console's OIDC sign-in (docs/console.md): the authorization code flow with PKCE (S256), state and
 * nonce, through openid-client (panva's certified relying party). `begin` makes the provider's URL and
 * the checks the browser carries until it comes back (http/oidc-flow-cookie.ts); `finish` trades the code,
 * checks the ID token (signature, issuer, audience, expiry, nonce) and returns the user's claims, with the
 * userinfo endpoint's added (many providers put e-mail and groups only there).
 *
 * The provider's discovery document is read at the first sign-in, not at start, so a provider that is down
 * does not stop the server (password sign-in keeps working); a failed read is tried again next time.
 * The client secret goes only to the token endpoint: nothing here logs it or puts it in an error.
 */
import * as client from 'openid-client';
import type { Claims, OidcSettings } from './oidc-operators.ts';

/** What the browser must bring back for the answer to count (sealed in a cookie, never shown). */
export interface FlowChecks {
  state: string;
  nonce: string;
  verifier: string;
}

export type OidcFailure = 'denied' | 'invalid' | 'unreachable';

/** A sign-in that did not complete; `reason` says which page the user sees, `message` is for the log. */
export class OidcSignInError extends Error {
  constructor(
    readonly reason: OidcFailure,
    message: string,
  ) {
    super(message);
    this.name = 'OidcSignInError';
  }
}

/** Seconds a request to the provider may take before the sign-in says it is unreachable. */
const PROVIDER_TIMEOUT_SECONDS = 10;

export class OidcSignIn {
  private configuration: Promise<client.Configuration> | null = null;

  constructor(readonly settings: OidcSettings) {}

  private discovered(): Promise<client.Configuration> {
    const { issuer, clientId, clientSecret } = this.settings;
    this.configuration ??= client
      .discovery(new URL(issuer), clientId, undefined, clientSecret === undefined ? client.None() : client.ClientSecretPost(clientSecret), {
        timeout: PROVIDER_TIMEOUT_SECONDS,
        // The schema allows http only for an issuer on this machine (a provider beside the server, tests).
        execute: issuer.startsWith('http:') ? [client.allowInsecureRequests] : [],
      })
      .then((configuration) => {
        configuration.timeout = PROVIDER_TIMEOUT_SECONDS;
        return configuration;
      })
      .catch((error: unknown) => {
        this.configuration = null;
        throw new OidcSignInError('unreachable', `the OpenID provider's discovery document at ${issuer} could not be read: ${describe(error)}`);
      });
    return this.configuration;
  }

  /** The provider's authorization URL for a new sign-in, and the checks its answer must pass. */
  async begin(): Promise<{ url: URL; checks: FlowChecks }> {
    const configuration = await this.discovered();
    const checks: FlowChecks = { state: client.randomState(), nonce: client.randomNonce(), verifier: client.randomPKCECodeVerifier() };
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.settings.redirectUri,
      scope: this.settings.scopes,
      code_challenge: await client.calculatePKCECodeChallenge(checks.verifier),
      code_challenge_method: 'S256',
      state: checks.state,
      nonce: checks.nonce,
    });
    return { url, checks };
  }

  /**
   * Completes the sign-in from the query the provider sent the browser back with. Throws an
   * OidcSignInError: `denied` when the provider answered with an error (the user cancelled, or the provider
   * refused), `invalid` when the answer fails a check (state, PKCE, nonce, signature...), `unreachable`.
   */
  async finish(query: string, checks: FlowChecks): Promise<Claims> {
    const configuration = await this.discovered();
    // The URL the provider was told to send the browser to, with the answer's parameters: built from the
    // setting, not from the request's Host, which a proxy or a client could change.
    const current = new URL(this.settings.redirectUri);
    current.search = query;
    let tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;
    try {
      tokens = await client.authorizationCodeGrant(configuration, current, {
        pkceCodeVerifier: checks.verifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      throw classify(error, 'the authorization answer');
    }
    const claims = tokens.claims();
    if (!claims) throw new OidcSignInError('invalid', 'the token endpoint answered without an ID token');
    let userinfo: Claims = {};
    if (tokens.access_token && configuration.serverMetadata().userinfo_endpoint) {
      try {
        userinfo = await client.fetchUserInfo(configuration, tokens.access_token, claims.sub);
      } catch (error) {
        throw classify(error, 'the userinfo answer');
      }
    }
    // The ID token's claims win: they are signed, and `sub` was checked against them above.
    return { ...userinfo, ...claims };
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error).slice(0, 300);
  const code = (error as { code?: unknown }).code;
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${typeof code === 'string' ? `${code}: ` : ''}${error.message}${cause}`.slice(0, 500);
}

function classify(error: unknown, what: string): OidcSignInError {
  if (error instanceof OidcSignInError) return error;
  if (error instanceof client.AuthorizationResponseError) return new OidcSignInError('denied', `the OpenID provider refused the sign-in: ${error.error}${error.error_description ? ` (${error.error_description.slice(0, 200)})` : ''}`);
  // fetch() fails with a TypeError when the provider cannot be reached; a timeout aborts it.
  if (error instanceof TypeError || (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError'))) {
    return new OidcSignInError('unreachable', `the OpenID provider could not be reached for ${what}: ${describe(error)}`);
  }
  return new OidcSignInError('invalid', `${what} was refused: ${describe(error)}`);
}
