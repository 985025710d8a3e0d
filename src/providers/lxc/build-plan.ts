/**
 * Turns an evaluated HOT template into a `StackPlan`: walks the resources in dependency order,
 * gives each the attributes later resources and the outputs ask for, assigns addresses
 * deterministically, and refuses what the runtime cannot build with the resource, the type and why.
 * Pure apart from key generation and the public-address allocator it is given.
 */
import { stringify } from 'yaml';
import type { EvaluationContext, Problem, StackEvaluation } from './evaluation.ts';
import { list, obj, PlanError, str, SUPPORTED_TYPES, uuidFor, type Props } from './plan-support.ts';

export { PlanError, SUPPORTED_TYPES } from './plan-support.ts';
import { contains, intToIp, ipToInt, overlaps, parseCidr, type Cidr } from './ipv4.ts';
import { randomString, randomToken, takeRsaKeyPair } from './keys.ts';
import { hostnameFrom, names } from './names.ts';
import { DEFAULT_FLAVORS, type LxcSettings } from './options.ts';
import type { NicPlan, RouterPlan, ServerPlan, StackPlan, SubnetPlan } from './plan.ts';
import { IMAGE_CATALOG, resolveImageName } from './images.ts';

export interface PlanInput {
  stackName: string;
  stackId: string;
  shortId: string;
  evaluation: StackEvaluation;
  settings: LxcSettings;
  allocatePublicIp(): string;
  /** Validation builds the plan without making keys (faster, nothing random needed). */
  dryRun?: boolean;
}

export interface PlanResult {
  plan: StackPlan;
  outputs(waitData: Record<string, Record<string, unknown>>): Record<string, unknown>;
}

interface SubnetState extends SubnetPlan {
  range: Cidr;
  pools: [number, number][];
  used: Map<number, string>;
}

export function buildPlan(input: PlanInput): PlanResult {
  // Pass one learns which addresses the template fixes explicitly, pass two reserves them
  // before handing out automatic ones, so declaration order never causes a collision.
  const first = planPass({ ...input, allocatePublicIp: () => '0.0.0.0' }, new Map(), true);
  return planPass(input, first.fixed, input.dryRun ?? false);
}

function planPass(input: PlanInput, reserved: Map<string, Set<number>>, dry: boolean): PlanResult & { fixed: Map<string, Set<number>> } {
  const { evaluation: ev, settings, shortId } = input;
  const problems: Problem[] = [];
  const fail = (resource: string, message: string, property?: string): never => {
    throw new PlanError([{ resource, property, message }]);
  };
  const ids: Record<string, string> = {};
  const byId = new Map<string, string>();
  const attrs: Record<string, Record<string, unknown>> = {};
  const types: Record<string, string> = {};
  const netByRes = new Map<string, { name: string; bridge: string; subnets: string[] }>();
  const subnets = new Map<string, SubnetState>();
  const routers = new Map<string, RouterPlan & { external: boolean }>();
  const ports = new Map<string, { network: string; subnet: string; ip: string; mac: string }>();
  const servers: ServerPlan[] = [];
  const keyPairs = new Map<string, string>();
  const configs = new Map<string, string>();
  const handles = new Map<string, string>();
  const fips: { resource: string; ip: string; port?: string; fixed?: string }[] = [];
  const waitConditions: StackPlan['waitConditions'] = [];
  const publicIps: string[] = [];
  const fixed = new Map<string, Set<number>>();
  const notes: string[] = [];
  let macCounter = 0;

  for (const [name, r] of Object.entries(ev.template.resources)) {
    types[name] = r.type;
    if (!(SUPPORTED_TYPES as readonly string[]).includes(r.type))
      problems.push({ resource: name, message: `type ${r.type} is not supported by the local runtime (lxc); supported: ${SUPPORTED_TYPES.join(', ')}` });
  }
  if (problems.length) throw new PlanError(problems);

  const ctx: EvaluationContext = {
    stackName: input.stackName,
    stackId: input.stackId,
    resourceId: (name) => {
      if (!(name in ids)) fail(name, 'is referred to before it exists (missing depends_on?)');
      return ids[name];
    },
    attribute: (resource, attribute, path) => {
      const a = attrs[resource];
      if (!a) return fail(resource, `attribute ${attribute} asked before the resource exists`);
      if (!(attribute in a)) return fail(resource, `${types[resource]} has no attribute "${attribute}" in the local runtime (has: ${Object.keys(a).join(', ')})`);
      let v: unknown = a[attribute];
      for (const p of path) v = v === null || v === undefined ? null : (v as Record<string | number, unknown>)[p];
      return v ?? null;
    },
  };
  const setId = (res: string, id: string) => {
    ids[res] = id;
    byId.set(id, res);
  };
  const lookup = (value: unknown, type: string): string | undefined => {
    const v = str(value);
    if (v === undefined) return undefined;
    const res = byId.get(v) ?? (types[v] === type ? v : undefined);
    if (res && types[res] === type) return res;
    if (type === 'OS::Neutron::Net') for (const [r, n] of netByRes) if (n.name === v) return r;
    if (type === 'OS::Nova::KeyPair') for (const [r, n] of keyPairs) if (n === v) return r;
    return undefined;
  };
  const subnetFor = (netRes: string, resource: string): SubnetState => {
    const s = netByRes.get(netRes)?.subnets[0];
    if (!s) return fail(resource, `network ${netRes} has no subnet (declare the OS::Neutron::Subnet before it is used, or depends_on it)`);
    return subnets.get(s)!;
  };
  const take = (s: SubnetState, wanted: string | undefined, owner: string): string => {
    if (wanted) {
      const n = ipToInt(wanted);
      if (!contains(s.range, n)) fail(owner, `fixed IP ${wanted} is not in subnet ${s.resource} (${s.cidr})`);
      const holder = s.used.get(n);
      if (holder && holder !== owner) fail(owner, `fixed IP ${wanted} is already used by ${holder}`);
      s.used.set(n, owner);
      if (!fixed.has(s.resource)) fixed.set(s.resource, new Set());
      fixed.get(s.resource)!.add(n);
      return wanted;
    }
    const skip = reserved.get(s.resource) ?? new Set<number>();
    for (const [a, b] of s.pools) for (let n = a; n <= b; n++) if (!s.used.has(n) && !skip.has(n)) {
      s.used.set(n, owner);
      return intToIp(n);
    }
    return fail(owner, `subnet ${s.resource} (${s.cidr}) has no free address left`);
  };
  const nextMac = () => {
    const n = macCounter++;
    return `02:${shortId.slice(0, 2)}:${shortId.slice(2, 4)}:${shortId.slice(4, 6)}:${((n >> 8) & 255).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`;
  };
  const portOn = (owner: string, netRes: string, wantedSubnet: string | undefined, ip: string | undefined) => {
    const s = wantedSubnet ? subnets.get(wantedSubnet) : subnetFor(netRes, owner);
    if (!s) return fail(owner, `subnet ${wantedSubnet} not found`);
    return { network: netRes, subnet: s.resource, ip: take(s, ip, owner), mac: nextMac() };
  };
  const netNameOf = (netRes: string) => netByRes.get(netRes)!.name;

  for (const res of ev.order) {
    const type = types[res];
    let p: Props;
    try {
      p = ev.properties(res, ctx);
    } catch (err) {
      if (err instanceof PlanError) throw err;
      const probs = (err as { problems?: Problem[] }).problems;
      throw new PlanError(probs ?? [{ resource: res, message: (err as Error).message }], { cause: err });
    }
    setId(res, uuidFor(input.stackId, res));
    switch (type) {
      case 'OS::Neutron::Net': {
        const name = str(p.name) ?? `${input.stackName}-${res}`;
        netByRes.set(res, { name, bridge: names.bridge(shortId, netByRes.size), subnets: [] });
        attrs[res] = { name, status: 'ACTIVE', subnets: [], admin_state_up: true, show: { name, id: ids[res] } };
        break;
      }
      case 'OS::Neutron::Subnet': {
        const netRes = lookup(p.network ?? p.network_id, 'OS::Neutron::Net') ?? fail(res, `network "${str(p.network)}" is not a network of this template`, 'network');
        if (p.ip_version !== undefined && Number(p.ip_version) !== 4) fail(res, 'only IPv4 subnets are supported by the local runtime', 'ip_version');
        let range: Cidr;
        try {
          range = parseCidr(str(p.cidr) ?? fail(res, 'cidr is required', 'cidr'));
        } catch (err) {
          return fail(res, (err as Error).message, 'cidr');
        }
        for (const other of subnets.values()) if (overlaps(other.range, range)) fail(res, `cidr ${range.text} overlaps subnet ${other.resource} (${other.cidr})`, 'cidr');
        const gateway = p.gateway_ip === null ? undefined : str(p.gateway_ip) ?? intToIp(range.first);
        if (gateway && !contains(range, gateway)) fail(res, `gateway_ip ${gateway} is not in ${range.text}`, 'gateway_ip');
        const pools: [number, number][] = list(p.allocation_pools).map((x) => [ipToInt(String(obj(x).start)), ipToInt(String(obj(x).end))]);
        if (!pools.length) pools.push([range.first, range.last]);
        const used = new Map<number, string>();
        if (gateway) used.set(ipToInt(gateway), `${res} gateway`);
        const hostRoutes = list(p.host_routes).map((x) => ({ destination: String(obj(x).destination), nexthop: String(obj(x).nexthop) }));
        subnets.set(res, { resource: res, network: netRes, cidr: range.text, prefix: range.prefix, gateway, hostRoutes, dns: list(p.dns_nameservers).map(String), range, pools, used });
        netByRes.get(netRes)!.subnets.push(res);
        (attrs[netRes].subnets as string[]).push(ids[res]);
        attrs[res] = { cidr: range.text, gateway_ip: gateway ?? null, network_id: ids[netRes], name: str(p.name) ?? res, allocation_pools: pools.map(([a, b]) => ({ start: intToIp(a), end: intToIp(b) })), show: {} };
        break;
      }
      case 'OS::Neutron::Port': {
        const netRes = lookup(p.network ?? p.network_id, 'OS::Neutron::Net') ?? fail(res, `network "${str(p.network)}" is not a network of this template`, 'network');
        const want = obj(list(p.fixed_ips)[0]);
        const subnetRes = want.subnet ?? want.subnet_id ? lookup(want.subnet ?? want.subnet_id, 'OS::Neutron::Subnet') : undefined;
        const port = portOn(res, netRes, subnetRes, str(want.ip_address));
        if (p.mac_address) port.mac = String(p.mac_address);
        ports.set(res, port);
        attrs[res] = { fixed_ips: [{ ip_address: port.ip, subnet_id: ids[port.subnet] }], mac_address: port.mac, name: str(p.name) ?? res, network_id: ids[netRes], show: {} };
        break;
      }
      case 'OS::Neutron::Router': {
        const i = routers.size;
        const r: RouterPlan & { external: boolean } = { resource: res, netns: names.routerNs(shortId, i), legs: [], routes: [], nat: [], external: false };
        routers.set(res, r);
        const gw = obj(p.external_gateway_info);
        if (gw.network !== undefined) r.external = true;
        attrs[res] = { name: str(p.name) ?? res, external_gateway_info: r.external ? { network_id: str(gw.network) } : null, show: {} };
        break;
      }
      case 'OS::Neutron::RouterGateway': {
        const r = routers.get(lookup(p.router ?? p.router_id, 'OS::Neutron::Router') ?? fail(res, 'router not found', 'router'))!;
        r.external = true;
        attrs[res] = {};
        break;
      }
      case 'OS::Neutron::RouterInterface': {
        const r = routers.get(lookup(p.router ?? p.router_id, 'OS::Neutron::Router') ?? fail(res, 'router not found', 'router'))!;
        let ip: string, s: SubnetState;
        const portRes = lookup(p.port ?? p.port_id, 'OS::Neutron::Port');
        if (portRes) {
          const port = ports.get(portRes)!;
          ip = port.ip;
          s = subnets.get(port.subnet)!;
        } else {
          s = subnets.get(lookup(p.subnet ?? p.subnet_id, 'OS::Neutron::Subnet') ?? fail(res, 'needs a subnet or a port of this template', 'subnet'))!;
          ip = s.gateway ?? fail(res, `subnet ${s.resource} has no gateway_ip to give the router`, 'subnet');
        }
        const leg = r.legs.length;
        r.legs.push({ hostIf: names.routerLeg(shortId, [...routers.keys()].indexOf(r.resource), leg), nsIf: `qr${leg}`, bridge: netByRes.get(s.network)!.bridge, ip, prefix: s.prefix });
        attrs[res] = {};
        break;
      }
      case 'OS::Neutron::ExtraRoute':
      case 'OS::Neutron::ExtraRouteSet': {
        const r = routers.get(lookup(p.router ?? p.router_id, 'OS::Neutron::Router') ?? fail(res, 'router not found', 'router'))!;
        const routes = type === 'OS::Neutron::ExtraRoute' ? [p] : list(p.routes).map(obj);
        for (const x of routes) r.routes.push({ destination: String(x.destination), nexthop: String(x.nexthop) });
        attrs[res] = {};
        break;
      }
      case 'OS::Neutron::FloatingIP': {
        const ip = input.allocatePublicIp();
        publicIps.push(ip);
        const portRes = lookup(p.port_id ?? p.port, 'OS::Neutron::Port');
        fips.push({ resource: res, ip, port: portRes, fixed: str(p.fixed_ip_address) });
        attrs[res] = { floating_ip_address: ip, fixed_ip_address: portRes ? ports.get(portRes)!.ip : null, port_id: portRes ? ids[portRes] : null, floating_network_id: str(p.floating_network), show: {} };
        break;
      }
      case 'OS::Neutron::FloatingIPAssociation': {
        const fipRes = byId.get(str(p.floatingip_id) ?? '') ?? fail(res, 'floatingip_id is not a floating IP of this template', 'floatingip_id');
        const portRes = lookup(p.port_id, 'OS::Neutron::Port') ?? fail(res, 'port_id is not a port of this template', 'port_id');
        const f = fips.find((x) => x.resource === fipRes)!;
        f.port = portRes;
        f.fixed = str(p.fixed_ip_address);
        attrs[fipRes].fixed_ip_address = ports.get(portRes)!.ip;
        attrs[res] = {};
        break;
      }
      case 'OS::Neutron::SecurityGroup':
        notes.push(`security group ${res}: accepted, rules not enforced (each stack is isolated as a whole)`);
        attrs[res] = { name: str(p.name) ?? res, rules: p.rules ?? [], show: {} };
        break;
      case 'OS::Nova::KeyPair': {
        const name = str(p.name) ?? `${input.stackName}-${res}`;
        let pub = str(p.public_key);
        let priv: string | null = null;
        if (!pub) {
          const made = dry ? { privateKey: 'dry-run', publicKey: 'ssh-rsa AAAA dry-run' } : takeRsaKeyPair(name);
          pub = made.publicKey;
          priv = made.privateKey;
        }
        keyPairs.set(res, name);
        setId(res, name);
        attrs[res] = { public_key: pub, private_key: priv ?? '', name, show: {} };
        break;
      }
      case 'OS::Heat::RandomString': {
        const length = Number(p.length ?? 32);
        const classes = list(p.character_classes).map(obj);
        const seqs = list(p.character_sequences).map(obj);
        const value = randomString(length, str(classes[0]?.class) ?? 'lettersdigits', seqs.length ? seqs.map((s) => String(s.sequence)).join('') : undefined);
        setId(res, value);
        attrs[res] = { value };
        break;
      }
      case 'OS::Heat::CloudConfig': {
        const config = `#cloud-config\n${stringify(obj(p.cloud_config))}`;
        configs.set(res, config);
        attrs[res] = { config };
        break;
      }
      case 'OS::Heat::SoftwareConfig': {
        const config = str(p.config) ?? '';
        configs.set(res, config);
        attrs[res] = { config };
        break;
      }
      case 'OS::Heat::WaitConditionHandle': {
        const token = dry ? 'dry-run' : randomToken();
        handles.set(res, token);
        const endpoint = `http://${intToIp(parseCidr(settings.publicCidr).first)}:${settings.signalPort}/signal/${token}`;
        attrs[res] = { token, endpoint, curl_cli: `curl -sS -X POST -H 'Content-Type: application/json' ${endpoint}` };
        break;
      }
      case 'OS::Heat::WaitCondition': {
        const handleRes = lookup(p.handle, 'OS::Heat::WaitConditionHandle') ?? fail(res, 'handle is not a WaitConditionHandle of this template', 'handle');
        waitConditions.push({ resource: res, token: handles.get(handleRes)!, count: Number(p.count ?? 1), timeoutSeconds: Number(p.timeout ?? 600) });
        attrs[res] = { data: '{}' };
        break;
      }
      case 'OS::Heat::None':
        attrs[res] = {};
        break;
      case 'OS::Nova::Server':
        servers.push(planServer(res, p));
        break;
    }
  }

  function planServer(res: string, p: Props): ServerPlan {
    const index = servers.length;
    const name = str(p.name) ?? `${input.stackName}-${res}`;
    const imageName = str(p.image);
    const image = resolveImageName(settings, imageName) ?? fail(res, `image "${imageName}" is not in the local image catalog (${Object.keys(IMAGE_CATALOG).join(', ')}; aliases can be added in the lxc provider options)`, 'image');
    const flavorName = str(p.flavor) ?? '';
    const flavor = settings.flavors[flavorName] ?? DEFAULT_FLAVORS[flavorName] ?? settings.defaultFlavor;
    const nics: NicPlan[] = [];
    const nicSubnets: SubnetState[] = [];
    for (const [n, entry] of list(p.networks).map(obj).entries()) {
      let port: { network: string; subnet: string; ip: string; mac: string };
      const portRes = lookup(entry.port, 'OS::Neutron::Port');
      if (entry.port !== undefined) port = ports.get(portRes ?? fail(res, `port "${str(entry.port)}" is not a port of this template`, 'networks'))!;
      else {
        const netRes = lookup(entry.network ?? entry.uuid, 'OS::Neutron::Net');
        if (!netRes) fail(res, `network "${str(entry.network)}" is not a network of this template; in the local runtime servers attach to template networks and reach the platform through a floating IP`, 'networks');
        const subnetRes = entry.subnet ? lookup(entry.subnet, 'OS::Neutron::Subnet') : undefined;
        port = portOn(res, netRes!, subnetRes, str(entry.fixed_ip));
      }
      const s = subnets.get(port.subnet)!;
      nicSubnets.push(s);
      nics.push({ port: portRes, network: port.network, bridge: netByRes.get(port.network)!.bridge, hostIf: names.containerNic(shortId, index, n), ip: port.ip, prefix: s.prefix, mac: port.mac, gateway: undefined });
    }
    if (!nics.length) fail(res, 'a server needs at least one entry in networks in the local runtime', 'networks');
    // Only one default route: the first NIC whose subnet has a gateway, as DHCP clients end up with.
    const g = nicSubnets.findIndex((s) => s.gateway);
    if (g >= 0) nics[g].gateway = nicSubnets[g].gateway;
    const hostRoutes = nicSubnets.flatMap((s) => s.hostRoutes);
    let rootKey: string | undefined;
    if (p.key_name !== undefined && p.key_name !== null) {
      const kp = lookup(p.key_name, 'OS::Nova::KeyPair') ?? fail(res, `key_name "${str(p.key_name)}": only key pairs made by the template (OS::Nova::KeyPair) exist in the local runtime`, 'key_name');
      rootKey = String(attrs[kp].public_key);
    }
    let userData = str(p.user_data);
    if (userData !== undefined && byId.has(userData) && configs.has(byId.get(userData)!)) userData = configs.get(byId.get(userData)!);
    const networksAttr: Record<string, string[]> = {};
    const addresses: Record<string, unknown[]> = {};
    for (const nic of nics) {
      const netName = netNameOf(nic.network);
      (networksAttr[netName] ??= []).push(nic.ip);
      (addresses[netName] ??= []).push({ addr: nic.ip, version: 4, 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': nic.mac });
    }
    attrs[res] = { name, first_address: nics[0].ip, networks: networksAttr, addresses, accessIPv4: '', instance_name: names.container(shortId, index), show: { name } };
    return {
      resource: res, name, hostname: hostnameFrom(name), container: names.container(shortId, index), image, flavor, nics, hostRoutes,
      rootKey, userData, metadata: obj(p.metadata),
    };
  }

  // Floating IPs are bound once every router interface exists: Heat templates need not order them.
  const routerList = [...routers.values()];
  for (const f of fips) {
    if (!f.port) continue;
    const port = ports.get(f.port)!;
    const s = subnets.get(port.subnet)!;
    const r = routerList.find((x) => x.external && x.legs.some((l) => contains(s.range, l.ip)));
    if (!r) fail(f.resource, `the network of port ${f.port} is not joined (RouterInterface) to a router with an external gateway`);
    r!.nat.push({ floating: f.ip, fixed: f.fixed ?? port.ip });
  }
  for (const [i, r] of routerList.entries()) {
    if (!r.external) continue;
    const ip = input.allocatePublicIp();
    publicIps.push(ip);
    r.gateway = { hostIf: names.routerGateway(shortId, i), nsIf: 'qg', ip };
    attrs[r.resource].external_gateway_info = { network_id: 'public', external_fixed_ips: [{ ip_address: ip }] };
  }

  const plan: StackPlan = {
    shortId,
    networks: [...netByRes].map(([resource, n]) => ({ resource, name: n.name, bridge: n.bridge })),
    subnets: [...subnets.values()].map(({ resource, network, cidr, prefix, gateway, hostRoutes, dns }) => ({ resource, network, cidr, prefix, gateway, hostRoutes, dns })),
    routers: routerList.map(({ external: _e, ...r }) => r),
    servers,
    waitConditions,
    publicIps,
    attributes: attrs,
    resourceIds: ids,
    notes,
  };
  const outputs = (waitData: Record<string, Record<string, unknown>>) => {
    const octx: EvaluationContext = {
      ...ctx,
      attribute: (resource, attribute, path) => {
        if (types[resource] === 'OS::Heat::WaitCondition' && attribute === 'data') {
          const d = JSON.stringify(waitData[resource] ?? {});
          return path.length ? null : d;
        }
        return ctx.attribute(resource, attribute, path);
      },
    };
    return ev.outputs(octx);
  };
  return { plan, outputs, fixed };
}
