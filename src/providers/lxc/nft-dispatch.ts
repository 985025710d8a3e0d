/**
 * Where the security groups' rules hang on the host: one pair of tables per deployment (bridge and inet
 * `stacklab_<deployment>`) with four base chains in all, each a single verdict-map lookup keyed by
 * interface that sends a packet to its own stack's regular chains (`sl<short>_*`, security-groups.ts).
 *
 * Why not a table per stack, as before: a base chain is called for every packet on its hook, whichever
 * bridge it crosses, and every stack had four of them (bridge prerouting and forward, inet prerouting and
 * forward). At 300 labs every bridged packet on the host walked 1,200 chains: a UDP round trip across
 * one bridge took 264-307 us instead of 23 us, and 300 labs' terminals could not keep echo under 50 ms
 * (BENCHMARKS.md, lab-density). A map lookup costs the same for 1 stack as for 1,000.
 *
 * A deployment touches only its own two tables; inside them a stack owns its chains and sets (named by
 * its reserved `sl<short>` prefix) and the map elements keyed by its interfaces (which carry the prefix
 * too), so a stack's create and delete are each one transaction that names only what is its own.
 */
import { CommandError } from './exec.ts';
import { nft } from './nft.ts';
import { tableComment } from './nft-owner.ts';

/** The deployment's dispatch tables (both families share the name). */
export function dispatchTable(deployment: string | undefined): string {
  return `stacklab_${deployment ?? 'default'}`;
}

/**
 * Declares the dispatch tables and (re)sets their base chains' single rules, in the caller's
 * transaction: idempotent, and atomic with it, so no packet ever meets an empty dispatch chain.
 * Maps: `nic_in` (filtered NIC -> its stack's MAC check), `port_out` (any port of a stack -> its
 * port numbering), `zone_in` (stack bridge -> conntrack zone), `bridge_in` (stack bridge -> its judge).
 */
export function dispatchText(deployment: string | undefined): string {
  const t = dispatchTable(deployment);
  const comment = deployment ? [`  comment ${JSON.stringify(tableComment(deployment))}`] : [];
  return [
    `table bridge ${t} {`,
    ...comment,
    '  map nic_in { type ifname : verdict; }',
    '  map port_out { type ifname : verdict; }',
    // Before the bridge learns the source address (see security-groups.ts).
    '  chain prerouting { type filter hook prerouting priority -300; policy accept; }',
    // Before br_netfilter (priority -1) hands the packet to the inet forward hook.
    '  chain forward { type filter hook forward priority -200; policy accept; }',
    '}',
    `flush chain bridge ${t} prerouting`,
    `add rule bridge ${t} prerouting iifname vmap @nic_in`,
    `flush chain bridge ${t} forward`,
    `add rule bridge ${t} forward oifname vmap @port_out`,
    `table inet ${t} {`,
    ...comment,
    '  map zone_in { typeof iifname : ct zone; }',
    '  map bridge_in { type ifname : verdict; }',
    '  chain raw { type filter hook prerouting priority -300; policy accept; }',
    // First of all forward chains (mangle is -150, filter 0): the port number is read and cleared here.
    '  chain forward { type filter hook forward priority -300; policy accept; }',
    '}',
    `flush chain inet ${t} raw`,
    // A bridge not in the map ends the rule: no zone is set for anyone else's traffic.
    `add rule inet ${t} raw ct zone set iifname map @zone_in`,
    `flush chain inet ${t} forward`,
    `add rule inet ${t} forward iifname vmap @bridge_in`,
    '',
  ].join('\n');
}

/** The names in a dispatch table, from `nft -j list table`. */
export interface DispatchContents {
  chains: string[];
  sets: string[];
  /** Map name -> the keys (interface names) of its elements. */
  keys: Map<string, string[]>;
}

interface NftJsonItem {
  chain?: { name: string };
  set?: { name: string };
  map?: { name: string; elem?: unknown[] };
}

export function parseDispatch(json: string): DispatchContents {
  const out: DispatchContents = { chains: [], sets: [], keys: new Map() };
  for (const item of (JSON.parse(json) as { nftables: NftJsonItem[] }).nftables) {
    if (item.chain) out.chains.push(item.chain.name);
    else if (item.set) out.sets.push(item.set.name);
    else if (item.map) out.keys.set(item.map.name, (item.map.elem ?? []).map((e) => (Array.isArray(e) ? e[0] : e)).filter((k): k is string => typeof k === 'string'));
  }
  return out;
}

/** One family's dispatch table as it is now; empty when it does not exist. */
export async function readDispatch(family: 'bridge' | 'inet', deployment: string | undefined): Promise<DispatchContents> {
  try {
    return parseDispatch(await nft(['-j', 'list', 'table', family, dispatchTable(deployment)]));
  } catch (err) {
    if (err instanceof CommandError && err.code === 1 && /No such file or directory/.test(err.stderr)) return { chains: [], sets: [], keys: new Map() };
    throw err;
  }
}

const owned = (prefix: string) => (name: string) => name.startsWith(`${prefix}_`);

/**
 * `nft -f` text removing everything of `prefix` from the deployment's dispatch tables, as they were
 * read: its map elements (keys are its interfaces, `<prefix>...`), then its chains (all flushed before
 * any is deleted: they jump to each other and use its sets), then its sets. Empty when it has nothing.
 */
export function removeStackText(family: 'bridge' | 'inet', deployment: string | undefined, table: DispatchContents, prefix: string): string {
  const t = dispatchTable(deployment);
  const lines: string[] = [];
  for (const [map, keys] of table.keys) {
    const mine = keys.filter((k) => k.startsWith(prefix));
    if (mine.length) lines.push(`delete element ${family} ${t} ${map} { ${mine.map((k) => JSON.stringify(k)).join(', ')} }`);
  }
  const chains = table.chains.filter(owned(prefix));
  for (const c of chains) lines.push(`flush chain ${family} ${t} ${c}`);
  for (const c of chains) lines.push(`delete chain ${family} ${t} ${c}`);
  for (const s of table.sets.filter(owned(prefix))) lines.push(`delete set ${family} ${t} ${s}`);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** The stacks' short ids that own anything in a dispatch table. */
export function ownersIn(table: DispatchContents): Set<string> {
  const shorts = new Set<string>();
  const names = [...table.chains, ...table.sets, ...[...table.keys.values()].flat()];
  for (const n of names) {
    const m = /^sl([0-9a-f]{6})/.exec(n);
    if (m) shorts.add(m[1]!);
  }
  return shorts;
}
