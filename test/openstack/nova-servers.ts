/** What Nova itself says about a stack's servers, read as the stack's own (member) user. */
import type { OpenStackProvider } from '../../src/providers/openstack/provider.ts';
import type { StackRef } from '../../src/providers/provider.ts';

export interface NovaServer {
  resource: string;
  id: string;
  status: string;
}

/** Every OS::Nova::Server of the stack with Nova's status (GONE when Nova no longer knows it). */
export async function novaServers(provider: OpenStackProvider, ref: StackRef, ids?: Map<string, string>): Promise<NovaServer[]> {
  const known = ids ?? new Map((await provider.heat.resources(ref)).filter((r) => r.resource_type === 'OS::Nova::Server').map((r) => [r.resource_name, r.physical_resource_id]));
  const out: NovaServer[] = [];
  for (const [resource, id] of known) {
    const res = await provider.session.request('compute', { method: 'GET', path: `/servers/${id}`, what: `nova: show ${resource}` });
    const body = res.body as { server?: { status: string } };
    out.push({ resource, id, status: res.status === 404 ? 'GONE' : (body.server?.status ?? `HTTP ${res.status}`) });
  }
  return out;
}

/** Polls until every server has `status` (Heat's COMPLETE may come a moment before Nova's state). */
export async function waitServers(provider: OpenStackProvider, ref: StackRef, ids: Map<string, string>, status: string, timeoutMs = 60_000): Promise<NovaServer[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const servers = await novaServers(provider, ref, ids);
    if (servers.every((s) => s.status === status)) return servers;
    if (Date.now() > deadline) throw new Error(`servers not all ${status} after ${timeoutMs} ms: ${servers.map((s) => `${s.resource}=${s.status}`).join(', ')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function serverIds(provider: OpenStackProvider, ref: StackRef): Promise<Map<string, string>> {
  const resources = await provider.heat.resources(ref);
  return new Map(resources.filter((r) => r.resource_type === 'OS::Nova::Server').map((r) => [r.resource_name, r.physical_resource_id]));
}
