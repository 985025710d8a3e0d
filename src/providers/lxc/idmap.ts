/**
 * The host uid/gid range a lab's root maps to. Every lab container runs in its own user namespace
 * where uid 0..65535 are host ids `first..first+65535`: a learner's root is an unprivileged host
 * user that owns nothing outside its own container.
 *
 * One range per host (per /etc/subuid entry), not one per stack: the base images are shifted into
 * the range once (see image-shift.ts) because this kernel cannot idmap an overlayfs mount and LXC
 * 5.0 idmaps only `dir` roots, so a range per stack would cost a shifted copy of the image at every
 * launch. Labs sharing the range still cannot reach each other: each has its own user, PID, mount,
 * network, IPC and cgroup namespaces, so no lab can name another's processes or files.
 *
 * The range is recorded in /etc/subuid and /etc/subgid under the name `stacklab-lxc`, so useradd
 * and other container tools never hand it out again. The same range is also granted to root, who runs
 * lxc-start: LXC hands the id map to newuidmap/newgidmap whenever they are installed (the uidmap
 * package, which podman and rootless Docker bring), even for root, and those map only the ranges these
 * files grant to the caller, so without root's line every lab fails to start ("ABORTING") on such a
 * host. The runtime adds those two lines to each file and touches nothing else in them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';

export const ID_COUNT = 65536;
export const SUBID_OWNER = 'stacklab-lxc';
/** Who starts the lab containers (the local runtime runs as root), and so whom newuidmap must allow the range. */
export const MAPPING_USER = 'root';
/** Where a new range starts at the earliest: above the ids useradd gives to people and systems. */
const FIRST_CANDIDATE = 100_000;
const LAST_ID = 4_294_967_294;

export interface IdRange {
  /** Host uid (and gid) of the lab's root. */
  first: number;
  count: number;
}

export interface SubidFiles {
  subuid: string;
  subgid: string;
  passwd: string;
  group: string;
}

const HOST_FILES: SubidFiles = { subuid: '/etc/subuid', subgid: '/etc/subgid', passwd: '/etc/passwd', group: '/etc/group' };

interface Entry {
  owner: string;
  first: number;
  count: number;
}

function parseSubids(text: string): Entry[] {
  const out: Entry[] = [];
  for (const line of text.split('\n')) {
    const [owner, first, count] = line.trim().split(':');
    if (!owner || owner.startsWith('#') || !/^\d+$/.test(first ?? '') || !/^\d+$/.test(count ?? '')) continue;
    out.push({ owner, first: Number(first), count: Number(count) });
  }
  return out;
}

const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');

/** Ids of accounts in passwd/group files: a range must not cover a real account either. */
function accountIds(text: string): number[] {
  return text
    .split('\n')
    .map((l) => Number(l.split(':')[2]))
    .filter((n) => Number.isInteger(n));
}

/** The first block of ID_COUNT ids that overlaps no subordinate range and no account. */
export function freeRange(taken: Entry[], accounts: number[]): IdRange {
  const busy = [...taken.map((e) => [e.first, e.first + e.count - 1]), ...accounts.filter((a) => a >= FIRST_CANDIDATE).map((a) => [a, a])].sort((a, b) => a[0] - b[0]);
  let first = FIRST_CANDIDATE;
  for (const [lo, hi] of busy) {
    if (hi < first) continue;
    if (lo >= first + ID_COUNT) break;
    first = Math.ceil((hi + 1) / ID_COUNT) * ID_COUNT;
  }
  if (first + ID_COUNT - 1 > LAST_ID) throw new Error('no free block of 65536 subordinate ids on this host for lab containers');
  return { first, count: ID_COUNT };
}

/** Our entry in both files, when both agree; a mismatch is an operator's edit we must not guess about. */
function recorded(files: SubidFiles): IdRange | null {
  const u = parseSubids(read(files.subuid)).find((e) => e.owner === SUBID_OWNER);
  const g = parseSubids(read(files.subgid)).find((e) => e.owner === SUBID_OWNER);
  if (!u && !g) return null;
  if (!u || !g || u.first !== g.first || u.count < ID_COUNT || g.count < ID_COUNT)
    throw new Error(
      `${files.subuid} and ${files.subgid} disagree on the "${SUBID_OWNER}" range (uid ${u ? `${u.first}:${u.count}` : 'missing'}, gid ${g ? `${g.first}:${g.count}` : 'missing'}); give both the same start and at least ${ID_COUNT} ids, or remove both lines to let stacklab choose`,
    );
  return { first: u.first, count: ID_COUNT };
}

let pending: Promise<IdRange> | undefined;

/** The host's lab range: the recorded one, or a free block recorded now. */
export function ensureIdRange(files: SubidFiles = HOST_FILES): Promise<IdRange> {
  if (files !== HOST_FILES) return allocate(files);
  pending ??= allocate(files).catch((err) => {
    pending = undefined;
    throw err;
  });
  return pending;
}

async function allocate(files: SubidFiles): Promise<IdRange> {
  const known = recorded(files);
  if (known) {
    await grantToMappingUser(files, known);
    return known;
  }
  const taken = [...parseSubids(read(files.subuid)), ...parseSubids(read(files.subgid))];
  const range = freeRange(taken, [...accountIds(read(files.passwd)), ...accountIds(read(files.group))]);
  for (const f of [files.subuid, files.subgid]) await appendLine(f, `${SUBID_OWNER}:${range.first}:${range.count}`);
  // Two processes starting at once may both append: the first line wins for everyone.
  const settled = recorded(files) ?? range;
  await grantToMappingUser(files, settled);
  return settled;
}

/** Grants the range to root too, unless a line of root's already covers it (see the header). */
async function grantToMappingUser(files: SubidFiles, range: IdRange): Promise<void> {
  for (const f of [files.subuid, files.subgid]) {
    const covered = parseSubids(read(f)).some((e) => e.owner === MAPPING_USER && e.first <= range.first && e.first + e.count >= range.first + range.count);
    if (!covered) await appendLine(f, `${MAPPING_USER}:${range.first}:${range.count}`);
  }
}

async function appendLine(file: string, line: string): Promise<void> {
  const text = read(file);
  await appendFile(file, (text && !text.endsWith('\n') ? '\n' : '') + line + '\n', { mode: 0o644 });
}

export function idmapConfig(range: IdRange): string[] {
  return [`lxc.idmap = u 0 ${range.first} ${range.count}`, `lxc.idmap = g 0 ${range.first} ${range.count}`];
}
