/** Can this host run the local runtime? One sentence on what is missing and what to do. */
import { existsSync, readFileSync } from 'node:fs';

export interface HostCheck {
  ok: boolean;
  reason: string;
}

function onPath(bin: string): boolean {
  return (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin')
    .split(':')
    .concat(['/usr/sbin', '/sbin'])
    .some((d) => existsSync(`${d}/${bin}`));
}

export async function checkLxcHost(): Promise<HostCheck> {
  if (process.platform !== 'linux') return { ok: false, reason: 'the local runtime needs Linux (LXC containers); use an OpenStack provider on this machine.' };
  if (typeof process.getuid !== 'function' || process.getuid() !== 0)
    return { ok: false, reason: 'the local runtime needs root to make containers, bridges and firewall rules; run stacklab as root (or use an OpenStack provider).' };
  // setcap: the image copy for unprivileged labs keeps its file capabilities (image-shift.ts).
  for (const [bin, pkg] of [['lxc-start', 'lxc'], ['ip', 'iproute2'], ['nft', 'nftables'], ['setcap', 'libcap2-bin']] as const)
    if (!onPath(bin)) return { ok: false, reason: `${bin} is missing; install it with "apt-get install ${pkg}".` };
  // Where the kernel has AppArmor, labs run under LXC's generated profile, which apparmor_parser loads.
  if (appArmorEnabled() && !onPath('apparmor_parser'))
    return { ok: false, reason: 'the kernel enforces AppArmor but apparmor_parser is missing, so lab containers cannot get their confining profile; install it with "apt-get install apparmor".' };
  const fs = existsSync('/proc/filesystems') ? readFileSync('/proc/filesystems', 'utf8') : '';
  if (!/\toverlay\n/.test(fs)) return { ok: false, reason: 'the kernel has no overlay filesystem; load it with "modprobe overlay".' };
  if (!existsSync('/sys/fs/cgroup/freezer') && !existsSync('/sys/fs/cgroup/cgroup.controllers'))
    return { ok: false, reason: 'no cgroup freezer is mounted, so labs cannot be suspended; mount the cgroup hierarchy (cgroup v2 or the v1 freezer).' };
  return { ok: true, reason: 'root, lxc, iproute2, nftables, setcap, overlayfs and the cgroup freezer are present.' };
}

function appArmorEnabled(): boolean {
  const flag = '/sys/module/apparmor/parameters/enabled';
  return existsSync(flag) && readFileSync(flag, 'utf8').trim() === 'Y';
}

export function canBuildImages(): HostCheck {
  if (!onPath('debootstrap')) return { ok: false, reason: 'debootstrap is missing; install it with "apt-get install debootstrap".' };
  return { ok: true, reason: 'debootstrap is present.' };
}

/** Inotify instances a lab's containers take from the one budget they share (systemd, journald, udev, sshd...). */
export const INOTIFY_PER_LAB = 5;
/** Below this many instances the host holds fewer than about 200 labs before new ones boot degraded. */
export const INOTIFY_WARN_BELOW = 1024;

/** Neighbour (ARP) table entries a running lab adds to the host's one table (BENCHMARKS.md, lab-density). */
export const NEIGHBOURS_PER_LAB = 5;
/** Below this the host holds fewer than about 1,000 labs before the neighbour table overflows (Debian's default is 1024). */
export const NEIGHBOURS_WARN_BELOW = 4096;

/**
 * Host limits that let the local runtime start but cap how many labs it holds, each one sentence
 * naming the setting and a value. `read` returns a sysctl's value, or undefined when unreadable.
 */
export function hostLimitWarnings(read: (key: string) => number | undefined = readSysctl): string[] {
  const out: string[] = [];
  const inotify = read('fs/inotify/max_user_instances');
  if (inotify !== undefined && inotify < INOTIFY_WARN_BELOW) {
    const labs = Math.floor(inotify / INOTIFY_PER_LAB);
    out.push(
      `fs.inotify.max_user_instances is ${inotify}: lab containers share it (about ${INOTIFY_PER_LAB} per lab), so past about ${labs} labs at once new labs boot degraded; ` +
        `raise it to ${INOTIFY_PER_LAB} x the labs you expect + 128 (e.g. 1664 for 300 labs: "sysctl -w fs.inotify.max_user_instances=1664", and a file in /etc/sysctl.d/ to keep it; docs/local-runtime.md, "Host limits").`,
    );
  }
  const neighbours = read('net/ipv4/neigh/default/gc_thresh3');
  if (neighbours !== undefined && neighbours < NEIGHBOURS_WARN_BELOW) {
    const labs = Math.floor(neighbours / NEIGHBOURS_PER_LAB);
    const want = (n: number) => NEIGHBOURS_PER_LAB * n * 2;
    out.push(
      `net.ipv4.neigh.default.gc_thresh3 is ${neighbours}: one neighbour (ARP) table serves every lab's network on the host (about ${NEIGHBOURS_PER_LAB} entries per lab), so past about ${labs} labs at once ` +
        `the kernel drops entries ("neighbor table overflow") and terminals to some labs do not open; raise gc_thresh1/2/3 together to twice what the labs you expect need ` +
        `(e.g. for 300 labs "sysctl -w net.ipv4.neigh.default.gc_thresh3=${want(300)} net.ipv4.neigh.default.gc_thresh2=${want(300) / 2} net.ipv4.neigh.default.gc_thresh1=${want(300) / 8}", and a file in /etc/sysctl.d/ to keep it; docs/local-runtime.md, "Host limits").`,
    );
  }
  return out;
}

function readSysctl(key: string): number | undefined {
  try {
    const n = Number.parseInt(readFileSync(`/proc/sys/${key}`, 'utf8'), 10);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}
