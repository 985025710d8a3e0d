/**
 * The plan: everything a stack is made of on this host, computed from the template before
 * anything is built (so a template the runtime cannot run is refused without side effects) and
 * saved in the stack's state file (so delete finds everything even after a crash mid-create).
 */
import type { Flavor } from './options.ts';

export interface NetworkPlan {
  resource: string;
  name: string;
  bridge: string;
}

export interface SubnetPlan {
  resource: string;
  network: string;
  cidr: string;
  prefix: number;
  gateway?: string;
  hostRoutes: RoutePlan[];
  dns: string[];
}

export interface RoutePlan {
  destination: string;
  nexthop: string;
}

export interface RouterLegPlan {
  /** Host-side veth name (a port of the network's bridge). */
  hostIf: string;
  /** Name inside the router namespace. */
  nsIf: string;
  bridge: string;
  ip: string;
  prefix: number;
}

export interface RouterPlan {
  resource: string;
  netns: string;
  legs: RouterLegPlan[];
  /** The router's leg on the public bridge, when it has an external gateway. */
  gateway?: { hostIf: string; nsIf: string; ip: string };
  routes: RoutePlan[];
  /** Floating IPs this router answers for: public address -> fixed address. */
  nat: { floating: string; fixed: string }[];
}

export interface NicPlan {
  port?: string;
  network: string;
  bridge: string;
  hostIf: string;
  ip: string;
  prefix: number;
  mac: string;
  gateway?: string;
  /**
   * Security groups (resources) enforced on this NIC; absent when the port is not filtered
   * (port_security_enabled: false, or no group from the template: see security-groups.ts).
   */
  securityGroups?: string[];
  /** Source addresses the NIC may send from besides its own (allowed_address_pairs). */
  allowedAddresses?: string[];
}

export interface ServerPlan {
  resource: string;
  name: string;
  hostname: string;
  container: string;
  image: string;
  flavor: Flavor;
  nics: NicPlan[];
  hostRoutes: RoutePlan[];
  /** root's authorized key from key_name, if any. */
  rootKey?: string;
  userData?: string;
  metadata: Record<string, unknown>;
  /** Volumes attached to the server (Cinder attachments, block_device_mapping), by device. */
  volumes?: VolumeAttachmentPlan[];
}

/**
 * An OS::Cinder::Volume (or a blank volume of a block_device_mapping): a sparse file holding an
 * ext4 file system of `sizeGb`, in the folder `dir` of the stack's containers folder (volumes.ts).
 */
export interface VolumePlan {
  resource: string;
  /** `sl<short>v<i>`: the prefix makes delete find it after a crash, like the stack's containers. */
  dir: string;
  sizeGb: number;
}

export interface VolumeAttachmentPlan {
  /** The volume's `dir`. */
  volume: string;
  /** The server's device name for it (`vdb`...): /dev/vdb, and the folder the file system is at. */
  device: string;
}

export interface WaitConditionPlan {
  resource: string;
  token: string;
  count: number;
  timeoutSeconds: number;
}

/** One declared output of a SoftwareConfig: read back from `$heat_outputs_path.<name>`. */
export interface DeploymentOutputPlan {
  name: string;
  /** Heat's `error_output`: the deployment fails when the script writes this output. */
  errorOutput: boolean;
}

/**
 * One OS::Heat::SoftwareDeployment (or one server's member of an OS::Heat::SoftwareDeployments,
 * `<group>.<key>`): the config run in the server as Heat's script hook runs it.
 */
export interface DeploymentPlan {
  resource: string;
  /** The template's resource it comes from: itself, or its OS::Heat::SoftwareDeployments group. */
  owner: string;
  /** The name the script sees as deploy_resource_name (a group member's key). */
  name: string;
  /** Heat's id of the deployment: the script's file and outputs are named by it. */
  id: string;
  server: string;
  serverId: string;
  container: string;
  config: string;
  /** The config's declared inputs, in order (values are resolved when the deployment runs). */
  declaredInputs: { name: string; type: string; default?: unknown }[];
  /** Input values as planned; those read from other deployments' outputs are resolved again at run time. */
  inputs: Record<string, unknown>;
  outputs: DeploymentOutputPlan[];
  /** Lifecycle actions the deployment runs at (Heat's `actions`, default CREATE and UPDATE). */
  actions: string[];
  signalTransport: string;
  /** Deployments whose outputs (or completion) it waits for: those it depends on, directly or not. */
  after: string[];
}

export interface StackPlan {
  shortId: string;
  networks: NetworkPlan[];
  subnets: SubnetPlan[];
  routers: RouterPlan[];
  servers: ServerPlan[];
  waitConditions: WaitConditionPlan[];
  /** Absent in the state of stacks planned before volumes existed. */
  volumes?: VolumePlan[];
  /** Absent in state files from before software deployments ran locally. */
  deployments?: DeploymentPlan[];
  /** Public addresses reserved for this stack (router gateways and floating IPs). */
  publicIps: string[];
  /** Resource attributes known at plan time, for the outputs. */
  attributes: Record<string, Record<string, unknown>>;
  resourceIds: Record<string, string>;
  /** Things accepted but not enforced, said once in the log. */
  notes: string[];
  /** The security groups the NICs use, with their rules; absent when no NIC is filtered. */
  security?: SecurityPlan;
  /** The stack's side of the external network, when servers attach to it directly. */
  external?: ExternalPlan;
}

/**
 * Servers attached to the external network (`networks: [{network: public}]`): each NIC gets a public
 * address, on a bridge of the stack's own, behind a namespace that answers for those addresses on
 * the public bridge (proxy ARP) and filters like a router does (external-network.ts).
 */
export interface ExternalPlan {
  bridge: string;
  netns: string;
  /** Host ends of the namespace's legs: into `bridge`, and into the public bridge. */
  legHostIf: string;
  gatewayHostIf: string;
  /** The namespace's own public address (its leg on the public bridge). */
  gatewayIp: string;
  /** The public addresses of the servers' NICs on it. */
  addresses: string[];
}

export interface SecurityRulePlan {
  direction: 'ingress' | 'egress';
  /** IP protocol number; absent: any. */
  protocol?: number;
  /** Ports (TCP, UDP, SCTP, DCCP, UDP-Lite) or, for ICMP, type (min) and code (max). */
  portMin?: number;
  portMax?: number;
  /** The other end, as a CIDR; absent: anywhere. */
  remoteIpPrefix?: string;
  /** The other end is a NIC in this group (a security group resource). */
  remoteGroup?: string;
}

export interface SecurityGroupPlan {
  resource: string;
  rules: SecurityRulePlan[];
}

export interface SecurityPlan {
  /** nftables table name (family bridge and inet), the stack's `sl<short>` prefix. */
  table: string;
  /** Conntrack zone of the stack's bridged traffic: stacks reuse addresses, their connections must not mix. */
  zone: number;
  groups: SecurityGroupPlan[];
}
