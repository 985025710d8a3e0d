/**
 * Moves a root filesystem's owners into the labs' id range (uid/gid n -> first + n), so that inside
 * a lab's user namespace the files belong to root, the lab's users and system accounts again.
 *
 * Why a shifted image and not an idmapped mount: this kernel refuses to idmap an overlayfs mount,
 * and LXC 5.0 idmaps only a `dir` root, so the overlay every server gets over the image must sit on
 * files that already carry the mapped ids. The runtime keeps the image as debootstrap made it
 * (`rootfs`, owned by host root) and a shifted copy per range (`rootfs.<first>`), made once at
 * build or at the first launch after an upgrade; a launch then costs what it cost before. The
 * pristine copy lets the range change without a rebuild, and servers still running over it (made
 * by an older, privileged stacklab) keep their lower layer unchanged.
 *
 * chown clears set-uid/set-gid bits and file capabilities: both are put back. Capabilities are
 * written again as namespaced (v3) capabilities owned by the range's root, as the kernel requires
 * for them to count inside the lab (ping's cap_net_raw, for instance). A shift interrupted half-way
 * resumes from its journal: ids already moved are outside the source range and are left alone.
 */
import { existsSync } from 'node:fs';
import { chmod, lchown, lstat, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './exec.ts';
import { ID_COUNT, type IdRange } from './idmap.ts';
import { processAlive } from './state.ts';

export interface ShiftJournal {
  from: number;
  to: number;
  /** `getcap -r` lines taken before the first chown (chown drops them). */
  caps: { path: string; caps: string }[];
}

function moved(id: number, from: number, to: number): number | null {
  return id >= from && id < from + ID_COUNT ? id - from + to : null;
}

async function walk(dir: string, visit: (path: string) => Promise<void>): Promise<void> {
  await visit(dir);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) await walk(p, visit);
    else await visit(p);
  }
}

/** Moves the owners of every file under root from [from, from+65536) to [to, to+65536). */
export async function shiftOwners(root: string, from: number, to: number): Promise<number> {
  if (from === to) return 0;
  if (Math.abs(from - to) < ID_COUNT) throw new Error(`id ranges ${from} and ${to} overlap; a shift between them is ambiguous`);
  let changed = 0;
  await walk(root, async (p) => {
    const st = await lstat(p);
    const uid = moved(st.uid, from, to);
    const gid = moved(st.gid, from, to);
    if (uid === null && gid === null) return;
    await lchown(p, uid ?? st.uid, gid ?? st.gid);
    changed++;
    if (!st.isSymbolicLink() && st.mode & 0o6000) await chmod(p, st.mode & 0o7777);
  });
  return changed;
}

async function listCaps(root: string): Promise<ShiftJournal['caps']> {
  const out = await run('getcap', ['-r', root]).catch(() => '');
  const caps: ShiftJournal['caps'] = [];
  for (const line of out.split('\n')) {
    // "path cap_net_raw=ep" (libcap 2.4x) or "path = cap_net_raw+ep" (older).
    const m = /^(\S+)\s+(?:=\s+)?(\S+)$/.exec(line.trim());
    if (m) caps.push({ path: m[1], caps: m[2] });
  }
  return caps;
}

/**
 * Shifts `root` from range `from` to `range`, journalled in `journal` so an interrupted shift
 * resumes with the capabilities it read before it began.
 */
export async function shiftRootfs(root: string, from: number, range: IdRange, journal: string): Promise<void> {
  let j: ShiftJournal;
  if (existsSync(journal)) j = JSON.parse(await readFile(journal, 'utf8')) as ShiftJournal;
  else {
    j = { from, to: range.first, caps: await listCaps(root) };
    await writeFile(journal, JSON.stringify(j));
  }
  if (j.to !== range.first) throw new Error(`${journal}: an unfinished shift to ${j.to} is in the way of a shift to ${range.first}; finish it or rebuild the image`);
  await shiftOwners(root, j.from, j.to);
  for (const c of j.caps) if (existsSync(c.path)) await run('setcap', ['-n', String(j.to), c.caps, c.path]);
  await rm(journal, { force: true });
}

/** Runs fn while holding `<dir>/shift.lock`; a lock left by a dead process is taken over. */
export async function withShiftLock<T>(dir: string, fn: () => Promise<T>, timeoutMs = 300_000): Promise<T> {
  const lock = join(dir, 'shift.lock');
  const start = Date.now();
  for (;;) {
    try {
      const fh = await open(lock, 'wx', 0o600);
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
      if (holder > 0 && !processAlive(holder)) {
        await rm(lock, { force: true });
        continue;
      }
      if (Date.now() - start > timeoutMs) throw new Error(`${lock} is held by process ${holder} for more than ${timeoutMs / 1000} s`, { cause: err });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}

