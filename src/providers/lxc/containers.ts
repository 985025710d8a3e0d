/**
 * One OS::Nova::Server = one LXC system container booting systemd, its root an overlay over the
 * image (only the server's own changes are written), its NICs veths into the stack's bridges, its
 * flavor cgroup limits. Containers live under `<dataDir>/containers`, apart from /var/lib/lxc.
 *
 * Containers are unprivileged (docs/security.md): a user namespace maps the lab's root to the
 * host's lab id range (idmap.ts), so root in a lab holds capabilities only over its own namespaces;
 * on top of that come LXC's capability drops and device allow-list (common.conf), the seccomp
 * policy below, read-only /proc/sys and /sys with only the container's own cgroup writable, and
 * the flavor's memory and pids limits.
 */
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeAccounts } from './accounts.ts';
import { guestSetup } from './cloud-config.ts';
import { run, tryRun } from './exec.ts';
import { idmapConfig, type IdRange } from './idmap.ts';
import { shiftOwners } from './image-shift.ts';
import { makeHostKey } from './keys.ts';
import type { ServerPlan } from './plan.ts';
import { VOLUMES_UNIT, volumeGuestFiles } from './volume-guest.ts';
import { GUEST_VOLUMES_DIR, type MountedVolume } from './volumes.ts';

const CGROUP_V1 = existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes') || existsSync('/sys/fs/cgroup/memory');

function limits(server: ServerPlan): string[] {
  const { vcpus, memoryMb, pids } = server.flavor;
  if (CGROUP_V1)
    return [
      `lxc.cgroup.memory.limit_in_bytes = ${memoryMb}M`,
      `lxc.cgroup.pids.max = ${pids}`,
      'lxc.cgroup.cpu.cfs_period_us = 100000',
      `lxc.cgroup.cpu.cfs_quota_us = ${Math.round(vcpus * 100000)}`,
    ];
  return [`lxc.cgroup2.memory.max = ${memoryMb}M`, `lxc.cgroup2.pids.max = ${pids}`, `lxc.cgroup2.cpu.max = ${Math.round(vcpus * 100000)} 100000`];
}

/**
 * System calls a lab has no use for that reach kernel state shared with the host or other labs.
 * LXC's own list (kexec, modules, open_by_handle_at) plus: the kernel keyring, whose quotas are per
 * host uid and so shared by labs in one id range (ENOSYS, which systemd and PAM treat as "no
 * keyring"); BPF, perf and userfaultfd, the usual kernel attack surface; swap, I/O ports and the
 * kernel log, which a namespaced root is refused anyway (kept here so the refusal does not rest
 * on a capability check alone).
 */
export const SECCOMP_POLICY = [
  '2',
  'denylist',
  'reject_force_umount',
  '[all]',
  ...['kexec_load', 'kexec_file_load', 'open_by_handle_at', 'init_module', 'finit_module', 'delete_module', 'iopl', 'ioperm', 'swapon', 'swapoff', 'syslog', 'bpf', 'perf_event_open', 'userfaultfd'].map((c) => `${c} errno 1`),
  ...['add_key', 'keyctl', 'request_key'].map((c) => `${c} errno 38`),
  '',
].join('\n');

/** A volume given to a server: its mounted file system and device node, and the name the server knows it by. */
export type AttachedVolume = MountedVolume & { device: string };

/**
 * A volume's file system bound at GUEST_VOLUMES_DIR/vdX, and its loop device as /dev/vdX, readable
 * only: the host has the file system mounted, and a write to the device from the lab would corrupt it.
 */
function volumeLines(v: AttachedVolume): string[] {
  return [
    `lxc.mount.entry = ${v.mnt} ${GUEST_VOLUMES_DIR.slice(1)}/${v.device} none bind,create=dir 0 0`,
    `lxc.mount.entry = ${v.node} dev/${v.device} none bind,create=file 0 0`,
    `lxc.cgroup${CGROUP_V1 ? '' : '2'}.devices.allow = b ${v.major}:${v.minor} r`,
  ];
}

export function containerConfig(server: ServerPlan, rootfs: string, dir: string, range: IdRange, volumes: AttachedVolume[] = []): string {
  const lines = [
    '# Written by stacklab; the stack state file says which stack owns this server.',
    'lxc.include = /usr/share/lxc/config/common.conf',
    'lxc.arch = linux64',
    `lxc.uts.name = ${server.hostname}`,
    `lxc.rootfs.path = overlay:${rootfs}:${join(dir, 'upper')}`,
    ...idmapConfig(range),
    // LXC's generated (confining) profile where the kernel has AppArmor; ignored where it has none.
    'lxc.apparmor.profile = generated',
    'lxc.apparmor.allow_nesting = 0',
    `lxc.seccomp.profile = ${join(dir, 'seccomp')}`,
    // /proc/sys, /proc/sysrq-trigger and /sys read-only; only the container's own cgroups writable.
    'lxc.mount.auto =',
    'lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed',
    // A user namespace cannot move bind mounts, which /dev/lxc/ ttys need.
    'lxc.tty.dir =',
    'lxc.tty.max = 0',
    'lxc.console.path = none',
    ...limits(server),
    ...volumes.flatMap(volumeLines),
  ];
  for (const [i, nic] of server.nics.entries()) {
    lines.push(
      `lxc.net.${i}.type = veth`,
      `lxc.net.${i}.link = ${nic.bridge}`,
      `lxc.net.${i}.veth.pair = ${nic.hostIf}`,
      `lxc.net.${i}.name = eth${i}`,
      `lxc.net.${i}.hwaddr = ${nic.mac}`,
      `lxc.net.${i}.flags = up`,
      `lxc.net.${i}.ipv4.address = ${nic.ip}/${nic.prefix}`,
    );
    if (nic.gateway) lines.push(`lxc.net.${i}.ipv4.gateway = ${nic.gateway}`);
  }
  return lines.join('\n') + '\n';
}

export interface PreparedServer {
  ignored: string[];
}

/**
 * Writes the container's config and the first layer of its root (host key, users' setup, files).
 * `rootfs` is the image's copy in the id range; everything written here is shifted into it too.
 */
export async function prepareContainer(containersDir: string, server: ServerPlan, rootfs: string, range: IdRange, volumes: AttachedVolume[] = []): Promise<PreparedServer> {
  const dir = join(containersDir, server.container);
  const upper = join(dir, 'upper');
  // 0711: the lab's root (an unprivileged host uid) mounts its root from here, so it must be able
  // to pass through, but not list other servers' directories.
  await mkdir(dir, { recursive: true, mode: 0o711 });
  await chmod(containersDir, 0o711);
  await chmod(dir, 0o711);
  await mkdir(upper, { recursive: true });
  // The upper directory is the server's "/": it must look like one (0755), not like a private dir.
  await chmod(upper, 0o755);
  const hostKey = await makeHostKey(`root@${server.hostname}`);
  const setup = guestSetup({ hostname: server.hostname, userData: server.userData, rootKey: server.rootKey, routes: server.hostRoutes, metadata: server.metadata, name: server.name });
  const files = [
    { path: '/etc/ssh/ssh_host_ecdsa_key', content: hostKey.privateKey, mode: 0o600 },
    { path: '/etc/ssh/ssh_host_ecdsa_key.pub', content: hostKey.publicKey + '\n', mode: 0o644 },
    ...setup.files,
    ...(volumes.length ? volumeGuestFiles() : []),
  ];
  for (const f of files) {
    const target = join(upper, f.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, f.content, { mode: f.mode });
    await chmod(target, f.mode);
  }
  // Directories made above would otherwise hide the image's modes (overlay takes the upper's).
  for (const [d, mode] of [['root', 0o700], ['root/.ssh', 0o700], ['etc', 0o755], ['etc/ssh', 0o755], ['etc/sudoers.d', 0o750], ['etc/stacklab', 0o700]] as const)
    if (existsSync(join(upper, d))) await chmod(join(upper, d), mode);
  if (volumes.length) {
    for (const v of volumes) await mkdir(join(upper, GUEST_VOLUMES_DIR, v.device), { recursive: true });
    const wants = join(upper, 'etc/systemd/system/multi-user.target.wants');
    await mkdir(wants, { recursive: true });
    await rm(join(wants, VOLUMES_UNIT), { force: true });
    await symlink(`/etc/systemd/system/${VOLUMES_UNIT}`, join(wants, VOLUMES_UNIT));
  }
  await writeAccounts(upper, rootfs, setup.accounts);
  await shiftOwners(upper, 0, range.first);
  // LXC mounts the overlay inside the lab's user namespace: its work directory must be the lab's.
  await mkdir(join(dir, 'work'), { recursive: true, mode: 0o700 });
  await chown(join(dir, 'work'), range.first, range.first);
  await writeFile(join(dir, 'seccomp'), SECCOMP_POLICY, { mode: 0o644 });
  await writeFile(join(dir, 'config'), containerConfig(server, rootfs, dir, range, volumes));
  return { ignored: setup.ignored };
}

export async function startContainer(containersDir: string, name: string): Promise<void> {
  await run('lxc-start', ['-P', containersDir, '-n', name, '-o', join(containersDir, name, 'lxc.log'), '-l', 'WARN'], { timeoutMs: 60_000 });
}

export async function initPid(containersDir: string, name: string): Promise<number | null> {
  const out = await run('lxc-info', ['-P', containersDir, '-n', name, '-p', '-H']).catch(() => '');
  const pid = Number(out.trim());
  return pid > 0 ? pid : null;
}

/** True once sshd listens on port 22 inside the container (read from its network namespace). */
export async function sshdListening(pid: number): Promise<boolean> {
  for (const f of ['tcp', 'tcp6']) {
    const table = await readFile(`/proc/${pid}/net/${f}`, 'utf8').catch(() => '');
    for (const line of table.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[1]?.endsWith(':0016') && cols[3] === '0A') return true;
    }
  }
  return false;
}

/**
 * Freezes or thaws through the cgroup freezer directly (a file write, no process per container);
 * falls back to lxc-freeze / lxc-unfreeze where the cgroup is not where LXC usually puts it.
 * A task in uninterruptible sleep (disk I/O on a busy host) holds a v1 cgroup in FREEZING until it
 * wakes, which can take seconds under load: the request is written again every second (as lxc-freeze
 * does) until FREEZE_DEADLINE_MS, and a freeze that does not complete is cancelled so no container is
 * left half-frozen.
 */
const FREEZE_DEADLINE_MS = 30_000;

async function settleFreezer(request: () => Promise<void>, reached: () => Promise<boolean>): Promise<boolean> {
  const start = Date.now();
  let lastRequest = start;
  await request();
  for (let wait = 5; Date.now() - start < FREEZE_DEADLINE_MS; wait = Math.min(wait * 2, 100)) {
    if (await reached()) return true;
    await new Promise((r) => setTimeout(r, wait));
    if (Date.now() - lastRequest >= 1000) {
      lastRequest = Date.now();
      await request();
    }
  }
  return reached();
}

async function setFrozen(containersDir: string, name: string, frozen: boolean): Promise<void> {
  const v1 = `/sys/fs/cgroup/freezer/lxc.payload.${name}/freezer.state`;
  const v2 = `/sys/fs/cgroup/lxc.payload.${name}/cgroup.freeze`;
  if (existsSync(v1)) {
    const target = frozen ? 'FROZEN' : 'THAWED';
    const ok = await settleFreezer(
      () => writeFile(v1, target),
      async () => (await readFile(v1, 'utf8')).trim() === target,
    );
    if (ok) return;
    if (frozen) await writeFile(v1, 'THAWED').catch(() => undefined);
    throw new Error(`${name}: freezer state did not reach ${target} within ${FREEZE_DEADLINE_MS / 1000} s (a process stuck in the kernel?)`);
  }
  if (existsSync(v2)) {
    const events = `/sys/fs/cgroup/lxc.payload.${name}/cgroup.events`;
    const ok = await settleFreezer(
      () => writeFile(v2, frozen ? '1' : '0'),
      async () => (await readFile(events, 'utf8')).includes(`frozen ${frozen ? 1 : 0}`),
    );
    if (ok) return;
    if (frozen) await writeFile(v2, '0').catch(() => undefined);
    throw new Error(`${name}: cgroup did not become ${frozen ? 'frozen' : 'thawed'} within ${FREEZE_DEADLINE_MS / 1000} s`);
  }
  await run(frozen ? 'lxc-freeze' : 'lxc-unfreeze', ['-P', containersDir, '-n', name]);
}

export function freezeContainer(containersDir: string, name: string): Promise<void> {
  return setFrozen(containersDir, name, true);
}

export function thawContainer(containersDir: string, name: string): Promise<void> {
  return setFrozen(containersDir, name, false);
}

export async function containerState(containersDir: string, name: string): Promise<string | null> {
  const out = await run('lxc-info', ['-P', containersDir, '-n', name, '-s', '-H']).catch(() => '');
  return out.trim() || null;
}

export async function rebootContainer(containersDir: string, name: string): Promise<void> {
  await run('lxc-stop', ['-P', containersDir, '-n', name, '-r', '-t', '30']);
}

/** Stops and removes a container; a missing one is fine. A frozen one is thawed first so it can die. */
export async function destroyContainer(containersDir: string, name: string): Promise<void> {
  if (existsSync(join(containersDir, name, 'config'))) {
    await tryRun('lxc-unfreeze', ['-P', containersDir, '-n', name]);
    await tryRun('lxc-stop', ['-P', containersDir, '-n', name, '-k'], { timeoutMs: 30_000 });
  }
  await rm(join(containersDir, name), { recursive: true, force: true });
}

/** Memory the container uses now, in bytes (cgroup accounting), or null when unknown. */
export async function containerMemory(name: string): Promise<number | null> {
  const paths = CGROUP_V1 ? [`/sys/fs/cgroup/memory/lxc.payload.${name}/memory.usage_in_bytes`] : [`/sys/fs/cgroup/lxc.payload.${name}/memory.current`];
  for (const p of paths) {
    const v = Number((await readFile(p, 'utf8').catch(() => '')).trim());
    if (v > 0) return v;
  }
  return null;
}
