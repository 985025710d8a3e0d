/**
 * Servers attached directly to the external network (`networks: [{network: public}]`, as templates
 * written for clouds with a shared provider network do). On a cloud such a NIC has a public address
 * of its own; here it gets one from the public range, on a bridge of the stack's own, behind a
 * namespace that answers for it on the public bridge and filters as a router does (the host and
 * other stacks stay out of reach: external-network.ts builds it, firewall.ts has its rules).
 */
import { intToIp, parseCidr } from '../ipv4.ts';
import { names } from '../names.ts';
import type { NicPlan } from '../plan.ts';
import type { PlanState } from './plan-state.ts';

/** A network name that is not the template's but the platform's external network. */
export function isExternalNetwork(state: PlanState, name: string): boolean {
  return state.input.settings.externalNetworks.includes(name);
}

/** A NIC on the external network: a public address, the host's end of the public range as its gateway. */
export function externalNic(state: PlanState, network: string, hostIf: string): NicPlan {
  const { publicCidr } = state.input.settings;
  const range = parseCidr(publicCidr);
  if (!state.external) {
    const gatewayIp = state.input.allocatePublicIp();
    state.publicIps.push(gatewayIp);
    state.external = {
      bridge: names.externalBridge(state.shortId), netns: names.externalNs(state.shortId), legHostIf: names.externalLeg(state.shortId),
      gatewayHostIf: names.externalGateway(state.shortId), gatewayIp, addresses: [],
    };
  }
  const ip = state.input.allocatePublicIp();
  state.publicIps.push(ip);
  state.external.addresses.push(ip);
  const n = state.external.addresses.length;
  const id = state.shortId;
  // MACs of their own (the template's ports count up from 0; these count down from ff:ff).
  const mac = `02:${id.slice(0, 2)}:${id.slice(2, 4)}:${id.slice(4, 6)}:ff:${(256 - n).toString(16).padStart(2, '0')}`;
  return { network, bridge: state.external.bridge, hostIf, ip, prefix: range.prefix, mac, gateway: intToIp(range.first) };
}
