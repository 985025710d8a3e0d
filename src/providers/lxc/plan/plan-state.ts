/**
 * What the planner knows while it walks a template's resources: what each resource became (ids,
 * attributes), the networks, subnets, routers and ports made so far with the addresses they hold,
 * and the plan's pieces. One object handed to every resource handler, so a handler says in its
 * signature what it may touch, and the lookups every handler needs (a network by id or by name, a
 * free address) are written once.
 */
import { contains, intToIp, ipToInt, type Cidr } from '../ipv4.ts';
import type { EvaluationContext, Problem, StackEvaluation } from '../evaluation.ts';
import type { LxcSettings } from '../options.ts';
import type { DeploymentPlan, ExternalPlan, RouterPlan, SecurityPlan, ServerPlan, StackPlan, SubnetPlan, VolumePlan } from '../plan.ts';
import type { GroupState, NicSecurity, PendingRule } from './security-group-handlers.ts';
import { PlanError, str } from '../plan-support.ts';

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

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);

/** An IPv4 network in CIDR notation, any prefix (routes may be /0 or /32, unlike subnets). */
export function isCidr(text: string): boolean {
  const [ip, prefix, ...rest] = text.split('/');
  return rest.length === 0 && IPV4.test(ip ?? '') && /^(?:[12]?\d|3[0-2])$/.test(prefix ?? '');
}

export interface SubnetState extends SubnetPlan {
  range: Cidr;
  pools: [number, number][];
  /** Address -> who holds it. */
  used: Map<number, string>;
}

export interface NetworkState {
  name: string;
  bridge: string;
  subnets: string[];
  /** The network's port_security_enabled: its ports' default. */
  portSecurity: boolean;
}

export interface PortState {
  network: string;
  subnet: string;
  ip: string;
  mac: string;
  /** The port's security groups as written (null: port security off; undefined: none given). */
  securityRefs?: string[] | null;
  allowedAddresses?: string[];
}

export type RouterState = RouterPlan & { external: boolean };

export interface FloatingIpState {
  resource: string;
  ip: string;
  port?: string;
  fixed?: string;
  /** Where it is bound to its port (the FloatingIP's own property, or an association's), for refusals. */
  boundBy: { resource: string; property: string };
}

export interface VolumeState extends VolumePlan {
  /** The catalog image a volume made from an image holds: only a server's boot volume may have one. */
  image?: string;
  /** The server resource it is attached to (one: volumes are not multiattach here). */
  attachedTo?: string;
}

/** Addresses the template fixes explicitly, by subnet resource. */
export type FixedAddresses = Map<string, Set<number>>;

/** An OS::Heat::SoftwareConfig as deployments read it (Heat's group, inputs and outputs schema). */
export interface SoftwareConfigState {
  group: string;
  config: string;
  inputs: DeploymentPlan['declaredInputs'];
  outputs: DeploymentPlan['outputs'];
}

/** A deployments group's names for its members' attributes (Heat's SoftwareDeploymentGroup._member_attribute_name). */
const GROUP_ATTRIBUTES: Record<string, string> = { deploy_stdouts: 'deploy_stdout', deploy_stderrs: 'deploy_stderr', deploy_status_codes: 'deploy_status_code' };

/** `path` applied the way Heat applies it: a key or index that is not there gives null. */
export function select(value: unknown, path: (string | number)[]): unknown {
  let v = value;
  for (const p of path) v = v === null || v === undefined || (typeof v === 'object' && !Object.hasOwn(v, p)) ? null : (v as Record<string | number, unknown>)[p];
  return v ?? null;
}

export class PlanState {
  readonly ids: Record<string, string> = {};
  /** Physical id -> resource name, to recognise `get_resource` values given as references. */
  readonly byId = new Map<string, string>();
  readonly attributes: Record<string, Record<string, unknown>> = {};
  readonly types: Record<string, string> = {};
  readonly networks = new Map<string, NetworkState>();
  readonly subnets = new Map<string, SubnetState>();
  readonly routers = new Map<string, RouterState>();
  readonly ports = new Map<string, PortState>();
  readonly servers: ServerPlan[] = [];
  /** KeyPair resource -> the key pair's name. */
  readonly keyPairs = new Map<string, string>();
  /** CloudConfig / SoftwareConfig resource -> the config text. */
  readonly configs = new Map<string, string>();
  /** SoftwareConfig resource -> what a deployment of it runs. */
  readonly softwareConfigs = new Map<string, SoftwareConfigState>();
  /** Software deployments, in the order they may start (each after those it depends on). */
  readonly deployments: DeploymentPlan[] = [];
  /** WaitConditionHandle resource -> its token. */
  readonly handles = new Map<string, string>();
  readonly floatingIps: FloatingIpState[] = [];
  readonly waitConditions: StackPlan['waitConditions'] = [];
  readonly publicIps: string[] = [];
  readonly fixed: FixedAddresses = new Map();
  readonly notes: string[] = [];
  /** Every refusal so far: the planner goes on after one, to list them all. */
  readonly problems: Problem[] = [];
  /** Resources refused (or of a type not run): their attributes read as null, so the rest can be planned. */
  readonly unbuilt = new Set<string>();
  /** OS::Cinder::Volume resource (or a server's blank volume) -> the volume (plan/volume-handlers.ts). */
  readonly volumes = new Map<string, VolumeState>();
  /** SoftwareDeploymentGroup resource -> its members (`<group>.<key>`) by the key of its `servers` map. */
  readonly deploymentGroups = new Map<string, { key: string; member: string }[]>();
  /**
   * What deployments that ran gave back (deploy_stdout... and their outputs), by deployment: read in
   * place of their planned (null) attributes by the outputs and by the deployments after them.
   */
  readonly deploymentResults = new Map<string, Record<string, unknown>>();
  /** ResourceGroup resource -> its members' resource names (`<group>.<index>`), in order. */
  readonly groups = new Map<string, string[]>();
  /** SecurityGroup resource -> its name and rules. */
  readonly securityGroups = new Map<string, GroupState>();
  /** Rules of SecurityGroupRule resources, with their group as written. */
  readonly looseRules: { group: string; rule: PendingRule }[] = [];
  /** NICs and the groups they ask for, bound after every resource (security-group-handlers.ts). */
  readonly nicSecurity: NicSecurity[] = [];
  security?: SecurityPlan;
  external?: ExternalPlan;
  private macCounter = 0;

  constructor(
    readonly input: PlanInput,
    /** Fixed addresses found by the first pass: automatic addresses avoid them. */
    private readonly reserved: FixedAddresses,
    /** No keys or tokens are made (validation). */
    readonly dry: boolean,
  ) {}

  get shortId(): string {
    return this.input.shortId;
  }

  fail(resource: string, message: string, property?: string): never {
    throw new PlanError([{ resource, property, message }]);
  }

  /**
   * `check()`, or `fallback` with its refusal recorded: for a part of a resource that does not
   * decide the rest, so the refusals of the parts after it are listed too.
   */
  attempt<T>(check: () => T, fallback: T): T {
    try {
      return check();
    } catch (err) {
      if (!(err instanceof PlanError)) throw err;
      this.problems.push(...err.problems);
      return fallback;
    }
  }

  /**
   * A property that must be text (names, addresses, references): undefined when unset, numbers and
   * booleans as Heat would turn them into strings, and a refusal for a list or a map.
   */
  text(resource: string, value: unknown, property: string): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'object') return this.fail(resource, `must be a string, not a ${Array.isArray(value) ? 'list' : 'map'} (${JSON.stringify(value).slice(0, 80)})`, property);
    return String(value);
  }

  /** An IPv4 address property, refused when it is not one. */
  address(resource: string, value: unknown, property: string): string | undefined {
    const ip = this.text(resource, value, property);
    if (ip !== undefined && !IPV4.test(ip)) this.fail(resource, `"${ip}" is not an IPv4 address`, property);
    return ip;
  }

  /** A whole number property within [min, max], or `fallback` when unset. */
  whole(resource: string, value: unknown, property: string, fallback: number, min: number, max: number): number {
    if (value === undefined || value === null) return fallback;
    const n = typeof value === 'number' || typeof value === 'string' ? Number(value) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) this.fail(resource, `must be a whole number from ${min} to ${max}, not ${JSON.stringify(value).slice(0, 80)}`, property);
    return n;
  }

  setId(resource: string, id: string): void {
    this.ids[resource] = id;
    this.byId.set(id, resource);
  }

  /** The resource of `type` a property value refers to: by physical id, by name, or (nets, key pairs) by their own name. */
  lookup(value: unknown, type: string): string | undefined {
    const v = str(value);
    if (v === undefined) return undefined;
    const res = this.byId.get(v) ?? (Object.hasOwn(this.types, v) && this.types[v] === type ? v : undefined);
    if (res && this.types[res] === type) return res;
    if (type === 'OS::Neutron::Net') for (const [r, n] of this.networks) if (n.name === v) return r;
    if (type === 'OS::Nova::KeyPair') for (const [r, n] of this.keyPairs) if (n === v) return r;
    return undefined;
  }

  /**
   * A port's worth of network attachment for `owner`: an address on the subnet (given, or the
   * network's first); `property` is where the owner asks for it, for refusals.
   */
  portOn(owner: string, network: string, wantedSubnet: string | undefined, ip: string | undefined, property: string): PortState {
    const s = wantedSubnet ? this.subnets.get(wantedSubnet) : this.subnetOf(network, owner, property);
    if (!s) return this.fail(owner, `subnet ${wantedSubnet} not found`, property);
    if (s.network !== network) this.fail(owner, `subnet ${s.resource} is not on network ${network}`, property);
    return { network, subnet: s.resource, ip: this.take(s, ip, owner, property), mac: this.nextMac() };
  }

  networkName(network: string): string {
    return this.networks.get(network)!.name;
  }

  /** The same context for properties and outputs: ids and attributes of what exists so far. */
  evaluationContext(): EvaluationContext {
    return {
      stackName: this.input.stackName,
      stackId: this.input.stackId,
      resourceId: (name) => {
        if (!Object.hasOwn(this.ids, name)) this.fail(name, 'is referred to before it exists (missing depends_on?)');
        return this.ids[name];
      },
      attribute: (resource, attribute, path) => {
        if (this.unbuilt.has(resource)) return null;
        const members = this.groups.get(resource);
        if (members) return this.groupAttribute(resource, members, attribute, path);
        const deployments = this.deploymentGroups.get(resource);
        if (deployments) return this.deploymentGroupAttribute(deployments, attribute, path);
        return this.ownAttribute(resource, attribute, path);
      },
    };
  }

  private ownAttribute(resource: string, attribute: string, path: (string | number)[]): unknown {
    const ran = this.deploymentResults.get(resource);
    if (ran && Object.hasOwn(ran, attribute)) return select(ran[attribute], path);
    const a = Object.hasOwn(this.attributes, resource) ? this.attributes[resource] : undefined;
    if (!a) return this.fail(resource, `attribute ${attribute} asked before the resource exists`);
    if (!Object.hasOwn(a, attribute)) return this.fail(resource, `${this.types[resource]} has no attribute "${attribute}" in the local runtime (has: ${Object.keys(a).join(', ')})`);
    return select(a[attribute], path);
  }

  /**
   * A ResourceGroup's attribute as Heat answers it: `refs` and `refs_map` (the members' ids),
   * `attributes` (index -> the member's attribute named by the path), `resource.N[.attr]` (one
   * member's), and any other name: the list of that attribute of every member, the path applied to each.
   */
  private groupAttribute(group: string, members: string[], attribute: string, path: (string | number)[]): unknown {
    const member = (n: string | number) => {
      const m = members[Number(n)];
      return m !== undefined && /^\d+$/.test(String(n)) ? m : this.fail(group, `Member '${n}' not found in group resource '${group}'`);
    };
    const of = (m: string, name: unknown, rest: (string | number)[]) => (name === undefined ? this.ids[m] : this.groups.has(m) ? this.groupAttribute(m, this.groups.get(m)!, String(name), rest) : this.ownAttribute(m, String(name), rest));
    if (attribute === 'refs') return select(members.map((m) => this.ids[m]), path);
    if (attribute === 'refs_map') return select(Object.fromEntries(members.map((m, i) => [String(i), this.ids[m]])), path);
    if (attribute === 'removed_rsrc_list') return select([], path);
    if (attribute === 'attributes') {
      if (path[0] === undefined) return this.fail(group, 'get_attr attributes needs the name of the members\' attribute after it');
      return Object.fromEntries(members.map((m, i) => [String(i), of(m, path[0], path.slice(1))]));
    }
    if (attribute.startsWith('resource.')) {
      const [, index, ...name] = attribute.split('.');
      const m = member(index);
      return name.length ? of(m, name.join('.'), path) : of(m, path[0], path.slice(1));
    }
    return members.map((m) => of(m, attribute, path));
  }

  /**
   * A SoftwareDeploymentGroup's attribute as Heat answers it: a map of each member's key to the
   * member's attribute (`deploy_stdouts` to its `deploy_stdout`...; any other name as it is), the
   * path applied to the map.
   */
  private deploymentGroupAttribute(members: { key: string; member: string }[], attribute: string, path: (string | number)[]): unknown {
    const name = Object.hasOwn(GROUP_ATTRIBUTES, attribute) ? GROUP_ATTRIBUTES[attribute] : attribute;
    return select(Object.fromEntries(members.map(({ key, member }) => [key, this.ownAttribute(member, name, [])])), path);
  }

  private subnetOf(network: string, resource: string, property: string): SubnetState {
    const s = this.networks.get(network)?.subnets[0];
    if (!s) return this.fail(resource, `network ${network} has no subnet (declare the OS::Neutron::Subnet before it is used, or depends_on it)`, property);
    return this.subnets.get(s)!;
  }

  /** The wanted address, refused if outside the subnet or taken; else the first free one no fixed address claims. */
  private take(s: SubnetState, wanted: string | undefined, owner: string, property: string): string {
    if (wanted) {
      const n = ipToInt(wanted);
      if (!contains(s.range, n)) this.fail(owner, `fixed IP ${wanted} is not in subnet ${s.resource} (${s.cidr})`, property);
      const holder = s.used.get(n);
      if (holder && holder !== owner) this.fail(owner, `fixed IP ${wanted} is already used by ${holder}`, property);
      s.used.set(n, owner);
      if (!this.fixed.has(s.resource)) this.fixed.set(s.resource, new Set());
      this.fixed.get(s.resource)!.add(n);
      return wanted;
    }
    const skip = this.reserved.get(s.resource) ?? new Set<number>();
    for (const [a, b] of s.pools) for (let n = a; n <= b; n++) if (!s.used.has(n) && !skip.has(n)) {
      s.used.set(n, owner);
      return intToIp(n);
    }
    return this.fail(owner, `subnet ${s.resource} (${s.cidr}) has no free address left`, property);
  }

  private nextMac(): string {
    const n = this.macCounter++;
    const id = this.input.shortId;
    return `02:${id.slice(0, 2)}:${id.slice(2, 4)}:${id.slice(4, 6)}:${((n >> 8) & 255).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`;
  }
}
