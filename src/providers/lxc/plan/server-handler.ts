/** Servers: a container each, its image and flavor, a NIC per network entry, root's key and user data. */
import { IMAGE_CATALOG, resolveImageName } from '../images.ts';
import { hostnameFrom, names } from '../names.ts';
import { DEFAULT_FLAVORS } from '../options.ts';
import type { NicPlan } from '../plan.ts';
import { list, obj, str, type Props } from '../plan-support.ts';
import type { ResourceHandler } from './handler.ts';
import type { PlanState, PortState, SubnetState } from './plan-state.ts';

function planNics(state: PlanState, res: string, p: Props, index: number): { nics: NicPlan[]; subnets: SubnetState[] } {
  const nics: NicPlan[] = [];
  const subnets: SubnetState[] = [];
  for (const [n, entry] of list(p.networks).map(obj).entries()) {
    let port: PortState;
    const portRes = state.lookup(entry.port, 'OS::Neutron::Port');
    if (entry.port !== undefined) port = state.ports.get(portRes ?? state.fail(res, `port "${str(entry.port)}" is not a port of this template`, 'networks'))!;
    else {
      const netRes = state.lookup(entry.network ?? entry.uuid, 'OS::Neutron::Net');
      if (!netRes) state.fail(res, `network "${str(entry.network)}" is not a network of this template; in the local runtime servers attach to template networks and reach the platform through a floating IP`, 'networks');
      const subnetRes = entry.subnet ? state.lookup(entry.subnet, 'OS::Neutron::Subnet') : undefined;
      port = state.portOn(res, netRes!, subnetRes, str(entry.fixed_ip));
    }
    const s = state.subnets.get(port.subnet)!;
    subnets.push(s);
    nics.push({
      port: portRes, network: port.network, bridge: state.networks.get(port.network)!.bridge, hostIf: names.containerNic(state.shortId, index, n),
      ip: port.ip, prefix: s.prefix, mac: port.mac, gateway: undefined,
    });
  }
  if (!nics.length) state.fail(res, 'a server needs at least one entry in networks in the local runtime', 'networks');
  return { nics, subnets };
}

export const planServer: ResourceHandler = (state, res, p) => {
  const { settings, stackName } = state.input;
  const index = state.servers.length;
  const name = str(p.name) ?? `${stackName}-${res}`;
  const imageName = str(p.image);
  const image = resolveImageName(settings, imageName) ?? state.fail(res, `image "${imageName}" is not in the local image catalog (${Object.keys(IMAGE_CATALOG).join(', ')}; aliases can be added in the lxc provider options)`, 'image');
  const flavorName = str(p.flavor) ?? '';
  const flavor = settings.flavors[flavorName] ?? DEFAULT_FLAVORS[flavorName] ?? settings.defaultFlavor;
  const { nics, subnets } = planNics(state, res, p, index);
  // Only one default route: the first NIC whose subnet has a gateway, as DHCP clients end up with.
  const g = subnets.findIndex((s) => s.gateway);
  if (g >= 0) nics[g].gateway = subnets[g].gateway;
  const hostRoutes = subnets.flatMap((s) => s.hostRoutes);
  let rootKey: string | undefined;
  if (p.key_name !== undefined && p.key_name !== null) {
    const kp = state.lookup(p.key_name, 'OS::Nova::KeyPair') ?? state.fail(res, `key_name "${str(p.key_name)}": only key pairs made by the template (OS::Nova::KeyPair) exist in the local runtime`, 'key_name');
    rootKey = String(state.attributes[kp].public_key);
  }
  let userData = str(p.user_data);
  const configRes = userData === undefined ? undefined : state.byId.get(userData);
  if (configRes !== undefined && state.configs.has(configRes)) userData = state.configs.get(configRes);
  const networksAttr: Record<string, string[]> = {};
  const addresses: Record<string, unknown[]> = {};
  for (const nic of nics) {
    const netName = state.networkName(nic.network);
    (networksAttr[netName] ??= []).push(nic.ip);
    (addresses[netName] ??= []).push({ addr: nic.ip, version: 4, 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': nic.mac });
  }
  const container = names.container(state.shortId, index);
  state.attributes[res] = { name, first_address: nics[0].ip, networks: networksAttr, addresses, accessIPv4: '', instance_name: container, show: { name } };
  state.servers.push({ resource: res, name, hostname: hostnameFrom(name), container, image, flavor, nics, hostRoutes, rootKey, userData, metadata: obj(p.metadata) });
};
