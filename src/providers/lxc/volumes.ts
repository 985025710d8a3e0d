/**
 * Volumes on the host. A volume is a sparse file `disk.img` of the asked size in its own folder
 * `<containers>/sl<short>v<i>`, holding an ext4 file system the host makes and loop-mounts at
 * `mnt/` there. Why the host mounts it: an unprivileged container may not mount a block device (the
 * kernel allows ext4 mounts only to the host's root), so the server gets the mounted file system
 * bound in (and its device node, readable, so `blkid /dev/vdb` and `[ -b /dev/vdb ]` answer as on a
 * cloud; see volume-guest.ts for mkfs and mount in the server). The size is the file system's: a
 * full volume says "No space left on device" in the lab, never on the host beyond it. Suspend
 * freezes the servers and leaves the mounts alone, so a volume's files survive it; delete unmounts
 * and removes the folder.
 */
import { existsSync } from 'node:fs';
import { chown, chmod, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { run, tryRun } from './exec.ts';
import type { IdRange } from './idmap.ts';
import type { VolumePlan } from './plan.ts';

/** Where a server finds its volumes' file systems: `<dir>/vdb`... (docs/local-runtime.md). */
export const GUEST_VOLUMES_DIR = '/var/lib/stacklab/volumes';

/** A volume ready to be given to a server: its mounted file system and its device node. */
export interface MountedVolume {
  dir: string;
  mnt: string;
  /** A node of the loop device, owned by the lab's root, bound in as /dev/vdX. */
  node: string;
  major: number;
  minor: number;
}

const mntOf = (dir: string) => join(dir, 'mnt');

async function isMounted(path: string): Promise<boolean> {
  const mounts = await readFile('/proc/self/mounts', 'utf8');
  return mounts.split('\n').some((l) => l.split(' ')[1] === path);
}

/** Makes the volume the first time (seconds: mkfs on a sparse file), mounts it if it is not. Idempotent. */
export async function ensureVolume(containersDir: string, v: VolumePlan, range: IdRange): Promise<MountedVolume> {
  const dir = join(containersDir, v.dir);
  const img = join(dir, 'disk.img');
  const mnt = mntOf(dir);
  // 0711 as a container's folder: the lab's root must pass through to the mount, not list it.
  await mkdir(dir, { recursive: true, mode: 0o711 });
  await chmod(dir, 0o711);
  if (!existsSync(img)) {
    const tmp = `${img}.new`;
    await rm(tmp, { force: true });
    await run('truncate', ['-s', `${v.sizeGb}G`, tmp]);
    // Owned by the lab's root; no blocks reserved for the host's root, who never writes there.
    await run('mkfs.ext4', ['-q', '-F', '-m', '0', '-E', `root_owner=${range.first}:${range.first},lazy_itable_init=1,lazy_journal_init=1`, tmp], { timeoutMs: 120_000 });
    await rename(tmp, img);
  }
  await mkdir(mnt, { recursive: true, mode: 0o755 });
  if (!(await isMounted(mnt))) await run('mount', ['-o', 'loop,nodev,nosuid,noatime', img, mnt]);
  await chown(join(mnt, 'lost+found'), range.first, range.first).catch(() => undefined);
  const source = (await run('findmnt', ['-n', '-o', 'SOURCE', '--mountpoint', mnt])).trim();
  const [major, minor] = (await run('stat', ['-c', '%t %T', source])).trim().split(' ').map((h) => parseInt(h, 16));
  const node = join(dir, 'dev');
  await rm(node, { force: true });
  await run('mknod', ['-m', '0400', node, 'b', String(major), String(minor)]);
  await chown(node, range.first, range.first);
  return { dir, mnt, node, major, minor };
}

/**
 * Unmounts and removes a volume (its servers must be gone: their mount namespaces hold the file
 * system). Refuses to remove a folder whose file system is still mounted, which would empty the
 * volume through the mount instead of freeing it.
 */
export async function removeVolume(containersDir: string, name: string): Promise<void> {
  const dir = join(containersDir, name);
  const mnt = mntOf(dir);
  for (let attempt = 0; (await isMounted(mnt)) && attempt < 20; attempt++) {
    if (!(await tryRun('umount', [mnt]))) await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
  }
  if (await isMounted(mnt)) throw new Error(`volume ${name}: ${mnt} is still mounted (a process still uses it)`);
  // `mount -o loop` frees its loop device at umount; one left by a crash in between is freed here.
  const img = join(dir, 'disk.img');
  if (existsSync(img)) {
    const held = await run('losetup', ['-n', '-O', 'NAME', '-j', img]).catch(() => '');
    for (const dev of held.split('\n').map((l) => l.trim()).filter(Boolean)) await tryRun('losetup', ['-d', dev]);
  }
  await rm(dir, { recursive: true, force: true });
}

/** Is this entry of the containers folder a volume of the stack (`sl<short>v<i>`)? */
export function isVolumeDir(prefix: string, entry: string): boolean {
  return entry.startsWith(prefix) && /^v\d+$/.test(entry.slice(prefix.length));
}
