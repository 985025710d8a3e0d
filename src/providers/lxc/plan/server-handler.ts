/** Servers: a container each, its image and flavor, a NIC per network entry, root's key and user data. */
import { IMAGE_CATALOG, resolveImageName } from '../images.ts';
import { hostnameFrom, names } from '../names.ts';
import { DEFAULT_FLAVORS } from '../options.ts';
import type { NicPlan } from '../plan.ts';
import { list, obj, type Props } from '../plan-support.ts';
import type { ResourceHandler } from './handler.ts';
import type { PlanState, PortState, SubnetState } from './plan-state.ts';
import { planServerDisks } from './volume-handlers.ts';
import { externalNic, isExternalNetwork } from './external-network-handler.ts';
import { groupRefs } from './security-group-handlers.ts';

/** What a NIC's network gives the server: its gateway and routes. */
type NicSubnet = Pick<SubnetState, 'gateway' | 'hostRoutes'>;

function planNics(state: PlanState, res: string, p: Props, index: number): { nics: NicPlan[]; subnets: NicSubnet[] } {
  const nics: NicPlan[] = [];
  const subnets: NicSubnet[] = [];
  const serverGroups = groupRefs(state, res, p.security_groups, 'security_groups');
  for (const [n, raw] of list(p.networks).entries()) {
    const at = `networks[${n}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) state.fail(res, 'each entry must be a map with a network or a port', at);
    const entry = obj(raw);
    let port: PortState;
    const portRef = state.text(res, entry.port, `${at}.port`);
    const portRes = portRef === undefined ? undefined : state.lookup(portRef, 'OS::Neutron::Port');
    if (portRef !== undefined) port = state.ports.get(portRes ?? state.fail(res, `port "${portRef}" is not a port of this template`, `${at}.port`))!;
    else {
      const key = entry.network !== undefined ? 'network' : 'uuid';
      const netRef = state.text(res, entry[key], `${at}.${key}`);
      const netRes = netRef === undefined ? undefined : state.lookup(netRef, 'OS::Neutron::Net');
      if (netRef === undefined) state.fail(res, 'needs a network or a port of this template', at);
      if (!netRes && isExternalNetwork(state, netRef!)) {
        if (entry.fixed_ip !== undefined || entry.subnet !== undefined) state.fail(res, `the external network "${netRef}" hands out its addresses itself: no fixed_ip or subnet on it`, `${at}.${entry.fixed_ip !== undefined ? 'fixed_ip' : 'subnet'}`);
        const nic = externalNic(state, netRef!, names.containerNic(state.shortId, index, n));
        if (serverGroups !== undefined) state.nicSecurity.push({ nic, owner: res, refs: serverGroups });
        nics.push(nic);
        subnets.push({ gateway: nic.gateway, hostRoutes: [] });
        nic.gateway = undefined;
        continue;
      }
      if (!netRes) state.fail(res, `network "${netRef}" is not a network of this template nor an external network (${state.input.settings.externalNetworks.join(', ')}: the lxc provider's external_networks)`, `${at}.${key}`);
      const subnetRef = state.text(res, entry.subnet, `${at}.subnet`);
      const subnetRes = subnetRef ? state.lookup(subnetRef, 'OS::Neutron::Subnet') ?? state.fail(res, `subnet "${subnetRef}" is not a subnet of this template`, `${at}.subnet`) : undefined;
      port = state.portOn(res, netRes!, subnetRes, state.address(res, entry.fixed_ip, `${at}.fixed_ip`), at);
    }
    const s = state.subnets.get(port.subnet)!;
    subnets.push(s);
    const nic: NicPlan = {
      port: portRes, network: port.network, bridge: state.networks.get(port.network)!.bridge, hostIf: names.containerNic(state.shortId, index, n),
      ip: port.ip, prefix: s.prefix, mac: port.mac, gateway: undefined,
    };
    if (port.allowedAddresses?.length) nic.allowedAddresses = port.allowedAddresses;
    // A port of the template brings its own groups; a NIC the server makes gets the server's, as Nova gives them.
    const refs = portRes ? port.securityRefs : state.networks.get(port.network)!.portSecurity ? serverGroups : null;
    if (refs !== undefined) state.nicSecurity.push({ nic, owner: portRes ?? res, refs });
    nics.push(nic);
  }
  if (!nics.length) state.fail(res, 'a server needs at least one entry in networks in the local runtime', 'networks');
  return { nics, subnets };
}

export const planServer: ResourceHandler = (state, res, p) => {
  const { settings, stackName } = state.input;
  const index = state.servers.length;
  const name = state.text(res, p.name, 'name') ?? `${stackName}-${res}`;
  const imageName = state.text(res, p.image, 'image');
  const disks = state.attempt(() => planServerDisks(state, res, p), { attach: () => {} });
  const image = state.attempt(
    () => disks.bootImage ?? resolveImageName(settings, imageName) ?? state.fail(res, `image "${imageName}" is not in the local image catalog (${Object.keys(IMAGE_CATALOG).join(', ')}; aliases can be added in the lxc provider options)`, 'image'),
    settings.defaultImage,
  );
  const flavorName = state.text(res, p.flavor, 'flavor') ?? '';
  const flavor = (Object.hasOwn(settings.flavors, flavorName) ? settings.flavors[flavorName] : undefined) ?? (Object.hasOwn(DEFAULT_FLAVORS, flavorName) ? DEFAULT_FLAVORS[flavorName] : undefined) ?? settings.defaultFlavor;
  const { nics, subnets } = planNics(state, res, p, index);
  // Only one default route: the first NIC whose subnet has a gateway, as DHCP clients end up with.
  const g = subnets.findIndex((s) => s.gateway);
  if (g >= 0) nics[g].gateway = subnets[g].gateway;
  const hostRoutes = subnets.flatMap((s) => s.hostRoutes);
  const keyName = state.attempt(() => state.text(res, p.key_name, 'key_name'), undefined);
  const rootKey = keyName === undefined ? undefined : keyNamed(state, res, keyName);
  let userData = state.text(res, p.user_data, 'user_data');
  const configRes = userData === undefined ? undefined : state.byId.get(userData);
  if (configRes !== undefined && state.configs.has(configRes)) userData = state.configs.get(configRes);
  const networksAttr: Record<string, string[]> = {};
  const addresses: Record<string, unknown[]> = {};
  for (const nic of nics) {
    const netName = state.networks.get(nic.network)?.name ?? nic.network;
    (networksAttr[netName] ??= []).push(nic.ip);
    (addresses[netName] ??= []).push({ addr: nic.ip, version: 4, 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': nic.mac });
  }
  const container = names.container(state.shortId, index);
  state.attributes[res] = { name, first_address: nics[0].ip, networks: networksAttr, addresses, accessIPv4: '', instance_name: container, show: { name } };
  state.servers.push({ resource: res, name, hostname: hostnameFrom(name), container, image, flavor, nics, hostRoutes, rootKey, userData, metadata: obj(p.metadata) });
  disks.attach();
};

/**
 * The stack's parameter for the key pair the platform makes (services/platform-key-pair.ts, which
 * this layer cannot import; test/lxc/key-name.test.ts keeps the two equal).
 */
export const PLATFORM_KEY_PARAMETER = 'stacklab_public_key';

/**
 * The public key `key_name` stands for. A template written for a cloud names a key pair that exists
 * there; here it is, in turn: a key pair the template makes, one configured by that name in the
 * provider's `key_pairs`, or the stack's own key (the one the platform makes when the template
 * declares `stacklab_public_key`). None of these: the server gets no key from it, as the template
 * must log in some other way (a password, keys in user_data), which is said once in the log.
 */
function keyNamed(state: PlanState, res: string, keyName: string): string | undefined {
  const kp = state.lookup(keyName, 'OS::Nova::KeyPair');
  if (kp) return String(state.attributes[kp].public_key);
  const { keyPairs } = state.input.settings;
  if (Object.hasOwn(keyPairs, keyName)) return keyPairs[keyName];
  const platform = state.input.evaluation.parameters[PLATFORM_KEY_PARAMETER];
  if (typeof platform === 'string' && platform.trim()) return platform.trim();
  const note = `key_name "${keyName}" (${res}): no key pair of that name in the template or the lxc provider's key_pairs, and no ${PLATFORM_KEY_PARAMETER}: the server gets no key from it`;
  if (!state.notes.includes(note)) state.notes.push(note);
  return undefined;
}
