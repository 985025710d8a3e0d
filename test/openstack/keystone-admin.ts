/**
 * Direct Keystone v3 calls the integration tests need beside the provider: tokens, revocation,
 * and application credentials for the demo user (created and deleted by the test).
 */
const HEADERS = { 'Content-Type': 'application/json', Connection: 'close' };

export interface RawToken {
  value: string;
  userId: string;
  body: Record<string, unknown>;
}

export async function passwordToken(authUrl: string, user: string, password: string, project: string): Promise<RawToken> {
  const res = await fetch(`${authUrl}/auth/tokens`, {
    method: 'POST',
    headers: HEADERS,
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password } } },
        scope: { project: { name: project, domain: { name: 'Default' } } },
      },
    }),
  });
  const body = (await res.json()) as { token: { user: { id: string } } };
  if (res.status !== 201) throw new Error(`keystone: token for ${user}: HTTP ${res.status}`);
  return { value: res.headers.get('x-subject-token')!, userId: body.token.user.id, body };
}

export async function revokeToken(authUrl: string, adminToken: string, token: string): Promise<void> {
  const res = await fetch(`${authUrl}/auth/tokens`, { method: 'DELETE', headers: { ...HEADERS, 'X-Auth-Token': adminToken, 'X-Subject-Token': token } });
  await res.arrayBuffer();
  if (res.status !== 204) throw new Error(`keystone: revoke token: HTTP ${res.status}`);
}

export async function createAppCredential(authUrl: string, owner: RawToken, name: string, secret: string): Promise<string> {
  const res = await fetch(`${authUrl}/users/${owner.userId}/application_credentials`, {
    method: 'POST',
    headers: { ...HEADERS, 'X-Auth-Token': owner.value },
    body: JSON.stringify({ application_credential: { name, secret } }),
  });
  const body = (await res.json()) as { application_credential?: { id: string } };
  if (res.status !== 201 || !body.application_credential) throw new Error(`keystone: create application credential: HTTP ${res.status}`);
  return body.application_credential.id;
}

export async function deleteAppCredential(authUrl: string, owner: RawToken, id: string): Promise<void> {
  const res = await fetch(`${authUrl}/users/${owner.userId}/application_credentials/${id}`, { method: 'DELETE', headers: { ...HEADERS, 'X-Auth-Token': owner.value } });
  await res.arrayBuffer();
  if (res.status !== 204 && res.status !== 404) throw new Error(`keystone: delete application credential: HTTP ${res.status}`);
}
