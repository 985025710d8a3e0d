/**
 * Finds the test cloud with real Nova, Neutron, Glance and Placement beside Keystone + Heat
 * (scripts/setup-openstack.sh: Nova's fake hypervisor driver, so servers are real API objects that
 * never boot). Under CI, or with STACKLAB_SETUP_OPENSTACK=1, it runs the script when no compute
 * service answers; otherwise the tests skip (or fail under CI) with the reason.
 */
import { detectOrSetUp, ensureHeat, type HeatEnv } from './heat-env.ts';

const SCRIPT = new URL('../../scripts/setup-openstack.sh', import.meta.url).pathname;
const SERVICES = ['compute', 'network', 'image', 'placement'];

export const NOVA_MISSING =
  'no Nova/Neutron/Glance/Placement beside Keystone + Heat on 127.0.0.1 (run scripts/setup-openstack.sh as root, or set STACKLAB_SETUP_OPENSTACK=1)';

async function adminToken(env: HeatEnv): Promise<{ token: string; catalog: Array<{ type: string }> } | null> {
  try {
    const res = await fetch(`${env.authUrl.replace(/\/$/, '')}/auth/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Connection: 'close' },
      body: JSON.stringify({
        auth: {
          identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password: env.vars.OS_PASSWORD ?? 'adminpass' } } },
          scope: { project: { name: 'admin', domain: { name: 'Default' } } },
        },
      }),
      signal: AbortSignal.timeout(15_000),
    });
    const body = (await res.json()) as { token?: { catalog?: Array<{ type: string }> } };
    if (res.status !== 201) return null;
    return { token: res.headers.get('x-subject-token')!, catalog: body.token?.catalog ?? [] };
  } catch {
    return null;
  }
}

async function computeAnswers(): Promise<boolean> {
  try {
    const res = await fetch('http://127.0.0.1:8774/', { headers: { Connection: 'close' }, signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
    return res.status < 500;
  } catch {
    return false;
  }
}

async function detect(): Promise<HeatEnv | null> {
  const env = await ensureHeat().catch(() => null);
  if (!env) return null;
  const token = await adminToken(env);
  if (!token || !SERVICES.every((type) => token.catalog.some((s) => s.type === type))) return null;
  return (await computeAnswers()) ? env : null;
}

let cached: Promise<HeatEnv | null> | undefined;

/** The cloud with Nova, or null (the caller skips with NOVA_MISSING). */
export function ensureNova(): Promise<HeatEnv | null> {
  cached ??= detectOrSetUp(detect, SCRIPT, 'STACKLAB_SETUP_OPENSTACK', 'Nova');
  return cached;
}

/** An admin session on the cloud, for what a member may not see (instance actions of any server). */
export async function novaAdmin(env: HeatEnv): Promise<{ get(path: string): Promise<unknown> }> {
  const auth = await adminToken(env);
  if (!auth) throw new Error('keystone: no admin token');
  return {
    async get(path: string) {
      const res = await fetch(`http://127.0.0.1:8774/v2.1${path}`, {
        headers: { 'X-Auth-Token': auth.token, 'OpenStack-API-Version': 'compute 2.62', Connection: 'close' },
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`nova: GET ${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
      return JSON.parse(text) as unknown;
    },
  };
}
