/**
 * A real OpenID provider for the console's OIDC sign-in tests: panva's oidc-provider (certified, the
 * same family as openid-client but a separate implementation of the server side) in this process on a
 * free port, with one confidential client and a few accounts. Its login and consent pages are replaced
 * by a handler that signs in whoever the test chose (`signInAs`) and grants the scopes asked for, so a
 * test drives the whole redirect dance with an HTTP client or a real browser and no form to fill. With
 * `confirmPage`, the handler first shows a page with a button, as a real provider's login page: the way
 * back then starts on the provider's site, where browsers hold back SameSite=Strict cookies.
 */
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { freePort } from './free-port.ts';

export interface TestAccount {
  preferred_username?: string;
  email?: string;
  email_verified?: boolean;
  groups?: string[];
}

export interface TestIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The account the next sign-in at the provider is for; empty: the user cancels there (access_denied). */
  signInAs: string;
  close(): Promise<void>;
}

export async function startTestIdp(options: { redirectUris: string[]; accounts: Record<string, TestAccount>; confirmPage?: boolean }): Promise<TestIdp> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = 'stacklab-console';
  // Random per run: the test looks for it in the server's log output, where it must never be.
  const clientSecret = `idp-secret-${crypto.randomUUID()}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const provider = new Provider(issuer, {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: options.redirectUris, response_types: ['code'], grant_types: ['authorization_code'], token_endpoint_auth_method: 'client_secret_post' }],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'test' }] },
    cookies: { keys: [crypto.randomUUID()] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['preferred_username'], groups: ['groups'] },
    scopes: ['openid', 'email', 'profile', 'groups'],
    pkce: { required: () => true },
    // Set, so the provider does not print a notice for each default it falls back on.
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx, id) {
      const account = options.accounts[id];
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...account }) };
    },
  });
  const idp: TestIdp = { issuer, clientId, clientSecret, signInAs: '', close: async () => undefined };
  const handle = provider.callback();
  const server: Server = createServer((request, response) => {
    if (!request.url?.startsWith('/interaction/')) return void handle(request, response);
    void (async () => {
      const details = await provider.interactionDetails(request, response);
      if (options.confirmPage && request.method === 'GET') {
        response.setHeader('content-type', 'text/html; charset=utf-8');
        response.end(`<!doctype html><title>Test IdP</title><form method="post" action="/interaction/${details.uid}"><button id="idp-continue">Continue</button></form>`);
        return;
      }
      const accountId = idp.signInAs;
      if (!accountId) return provider.interactionFinished(request, response, { error: 'access_denied', error_description: 'the user cancelled' }, { mergeWithLastSubmission: false });
      const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
      grant.addOIDCScope(String(details.params.scope));
      await provider.interactionFinished(request, response, { login: { accountId }, consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: false });
    })().catch((error: unknown) => {
      response.statusCode = 500;
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  idp.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return idp;
}
