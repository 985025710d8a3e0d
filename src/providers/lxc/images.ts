/**
 * The image catalog: base root filesystems built once with debootstrap and shared read-only by
 * every server through an overlay. A build goes to `<name>/rootfs.building` and is renamed into
 * place only when complete, so a half-built image is never used. Servers use the copy shifted into
 * the labs' id range, `<name>/rootfs.<first uid>` (see image-shift.ts), made the same way.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile, chmod, symlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { run, runStreaming } from './exec.ts';
import { ensureIdRange, type IdRange } from './idmap.ts';
import { shiftRootfs, withShiftLock } from './image-shift.ts';
import { DEFAULT_IMAGE_ALIASES, type LxcSettings } from './options.ts';

// e2fsprogs: required (so in every minbase) up to Debian 12, optional from 13 on; labs format disks with it.
const BASE_PACKAGES = ['openssh-server', 'systemd-sysv', 'sudo', 'iproute2', 'iputils-ping', 'curl', 'procps', 'ca-certificates', 'netbase', 'less', 'nano', 'e2fsprogs'];

/**
 * A catalog image: the Debian suite debootstrap builds it from and the packages it adds.
 * Debian 11, 12 and 13 all come from the same mirror, so a lab can pin the release its course was
 * written for; the desktop stays on 12, the release its VNC test is written against.
 */
export interface CatalogImage {
  description: string;
  suite: 'bullseye' | 'bookworm' | 'trixie';
  packages: string[];
}

export const IMAGE_CATALOG: Record<string, CatalogImage> = {
  'debian-11': { description: 'Debian 11 (bullseye): systemd, OpenSSH server, sudo, curl', suite: 'bullseye', packages: BASE_PACKAGES },
  'debian-12': { description: 'Debian 12 (bookworm): systemd, OpenSSH server, sudo, curl', suite: 'bookworm', packages: BASE_PACKAGES },
  'debian-13': { description: 'Debian 13 (trixie): systemd, OpenSSH server, sudo, curl', suite: 'trixie', packages: BASE_PACKAGES },
  desktop: {
    description: 'Debian 12 with a VNC desktop (TigerVNC, Openbox, xterm)',
    suite: 'bookworm',
    packages: [...BASE_PACKAGES, 'tigervnc-standalone-server', 'openbox', 'xterm', 'x11-xserver-utils', 'dbus-x11'],
  },
};

export interface ImageInfo {
  name: string;
  description: string;
  built: boolean;
  builtAt?: string;
  rootfs: string;
}

export function imagesDir(settings: LxcSettings): string {
  return join(settings.dataDir, 'images');
}

export function rootfsOf(settings: LxcSettings, image: string): string {
  return join(imagesDir(settings), image, 'rootfs');
}

/** The image's copy whose owners are in the labs' id range: what servers are overlaid on. */
export function mappedRootfsOf(settings: LxcSettings, image: string, range: IdRange): string {
  return join(imagesDir(settings), image, `rootfs.${range.first}`);
}

/**
 * Returns the image's copy shifted into `range`, making it first if needed (once per image and
 * range: a copy and a walk over the files, seconds; every later launch finds it ready).
 */
export async function ensureMappedImage(settings: LxcSettings, image: string, range: IdRange): Promise<string> {
  const target = mappedRootfsOf(settings, image, range);
  if (existsSync(target)) return target;
  return withShiftLock(join(imagesDir(settings), image), async () => {
    if (existsSync(target)) return target;
    const tmp = `${target}.building`;
    const journal = `${tmp}.journal.json`;
    // A journal means the copy finished and only the shift was interrupted.
    if (!existsSync(journal)) {
      await rm(tmp, { recursive: true, force: true });
      await run('cp', ['-a', rootfsOf(settings, image), tmp], { timeoutMs: 600_000 });
    }
    await shiftRootfs(tmp, 0, range, journal);
    await rename(tmp, target);
    return target;
  });
}

/** Removes shifted copies of an image being rebuilt: they would overlay servers on stale files. */
async function dropMappedCopies(dir: string): Promise<void> {
  for (const f of await readdir(dir).catch(() => [] as string[])) if (/^rootfs\.\d+(\.building(\.journal\.json)?)?$/.test(f)) await rm(join(dir, f), { recursive: true, force: true });
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Maps a template's image name to a catalog image, or undefined when nothing matches. */
export function resolveImageName(settings: LxcSettings, templateImage: string | undefined): string | undefined {
  if (templateImage === undefined || templateImage === '') return settings.defaultImage;
  if (Object.hasOwn(IMAGE_CATALOG, templateImage)) return templateImage;
  const key = normalise(templateImage);
  for (const [alias, image] of Object.entries(settings.images)) if (normalise(alias) === key) return image;
  if (Object.hasOwn(DEFAULT_IMAGE_ALIASES, key)) return DEFAULT_IMAGE_ALIASES[key];
  return debianCloudImage(key);
}

/**
 * Debian's cloud image names, as uploaded to Glance from cloud.debian.org:
 * `debian-<release>-<generic|genericcloud|nocloud|openstack>-<amd64|x86_64>`, optionally with the
 * build's date and number (`-20240507-1740`) and the file's extension (normalised `key`).
 */
function debianCloudImage(key: string): string | undefined {
  const m = /^debian(11|12|13)(?:generic|genericcloud|nocloud|openstack)(?:amd64|x8664)?(?:\d{8}\d*)?(?:qcow2|raw)?$/.exec(key);
  return m ? `debian-${m[1]}` : undefined;
}

export function isImageBuilt(settings: LxcSettings, image: string): boolean {
  return existsSync(join(rootfsOf(settings, image), 'usr/sbin/sshd')) && existsSync(join(imagesDir(settings), image, 'image.json'));
}

export async function listImages(settings: LxcSettings): Promise<ImageInfo[]> {
  const out: ImageInfo[] = [];
  for (const [name, entry] of Object.entries(IMAGE_CATALOG)) {
    let builtAt: string | undefined;
    try {
      builtAt = (JSON.parse(await readFile(join(imagesDir(settings), name, 'image.json'), 'utf8')) as { builtAt?: string }).builtAt;
    } catch {}
    out.push({ name, description: entry.description, built: isImageBuilt(settings, name), builtAt, rootfs: rootfsOf(settings, name) });
  }
  return out;
}

export interface BuildImageOptions {
  onProgress?: (line: string) => void;
  /** Rebuild even when the image exists. */
  force?: boolean;
}

export async function buildImage(settings: LxcSettings, name: string, opts: BuildImageOptions = {}): Promise<ImageInfo> {
  const entry = IMAGE_CATALOG[name];
  if (!entry) throw new Error(`unknown image "${name}"; known images: ${Object.keys(IMAGE_CATALOG).join(', ')}`);
  const say = opts.onProgress ?? (() => {});
  const dir = join(imagesDir(settings), name);
  if (isImageBuilt(settings, name) && !opts.force) {
    say(`image ${name} is already built (use --force to rebuild)`);
    await mapForLabs(settings, name, say);
    return (await listImages(settings)).find((i) => i.name === name)!;
  }
  const building = join(dir, 'rootfs.building');
  await mkdir(dir, { recursive: true });
  await rm(building, { recursive: true, force: true });
  const started = Date.now();
  say(`debootstrap ${entry.suite} from ${settings.mirror} (${entry.packages.length} packages), about a minute`);
  let last = 0;
  await runStreaming(
    'debootstrap',
    ['--variant=minbase', `--include=${entry.packages.join(',')}`, entry.suite, building, settings.mirror],
    (line) => {
      // debootstrap prints one line per package; pass on the phase changes and a heartbeat.
      if (/^I: (Retrieving|Validating|Extracting|Installing|Configuring|Unpacking|Base system|Resolving|Found|Checking)/.test(line) && Date.now() - last > 3000) {
        last = Date.now();
        say(`${Math.round((Date.now() - started) / 1000)}s ${line.slice(3)}`);
      }
    },
  );
  say('configuring for containers (sshd, units, stacklab init)');
  await configureRootfs(building, entry.suite);
  await dropMappedCopies(dir);
  await rm(join(dir, 'rootfs'), { recursive: true, force: true });
  await rename(building, join(dir, 'rootfs'));
  const builtAt = new Date().toISOString();
  await writeFile(join(dir, 'image.json'), JSON.stringify({ name, suite: entry.suite, builtAt, packages: entry.packages }, null, 2));
  await mapForLabs(settings, name, say);
  say(`image ${name} built in ${Math.round((Date.now() - started) / 1000)}s`);
  return { name, description: entry.description, built: true, builtAt, rootfs: join(dir, 'rootfs') };
}

async function mapForLabs(settings: LxcSettings, name: string, say: (line: string) => void): Promise<void> {
  const range = await ensureIdRange();
  if (existsSync(mappedRootfsOf(settings, name, range))) return;
  const t0 = Date.now();
  await ensureMappedImage(settings, name, range);
  say(`copy for unprivileged labs (owners shifted to ${range.first}+) made in ${Math.round((Date.now() - t0) / 1000)}s`);
}

// Runs as soon as the root is mounted, alongside early boot rather than after basic.target:
// the container's network is configured by LXC before init, and users/keys must exist before sshd.
const INIT_UNIT = `[Unit]
Description=stacklab per-server setup (network routes, users, keys, files, bootcmd)
DefaultDependencies=no
After=local-fs.target
Before=ssh.service systemd-user-sessions.service shutdown.target
Conflicts=shutdown.target
ConditionPathExists=/etc/stacklab/init.sh

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh /etc/stacklab/init.sh
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
`;

// sshd as early as stacklab-init allows: a lab is "up" when it accepts SSH, and nothing sshd
// needs (network by LXC, host keys, users) waits for the rest of boot.
const SSH_DROPIN = `[Unit]
DefaultDependencies=no
After=stacklab-init.service local-fs.target
Before=shutdown.target
Conflicts=shutdown.target
`;

// runcmd and user_data scripts run after sshd is up, once, like cloud-init's final stage.
const FINAL_UNIT = `[Unit]
Description=stacklab first-boot scripts (runcmd, user_data)
After=ssh.service stacklab-init.service
ConditionPathExists=/etc/stacklab/final.sh
ConditionPathExists=!/var/lib/stacklab/final.done

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c '/bin/sh /etc/stacklab/final.sh > /var/log/stacklab-final.log 2>&1; mkdir -p /var/lib/stacklab; touch /var/lib/stacklab/final.done'
TimeoutStartSec=0

[Install]
WantedBy=multi-user.target
`;

/** Units that do nothing useful in a lab container and cost boot time. */
const MASKED_UNITS = [
  'apt-daily.timer', 'apt-daily-upgrade.timer', 'dpkg-db-backup.timer', 'e2scrub_all.timer', 'e2scrub_reap.service',
  'fstrim.timer', 'systemd-pstore.service', 'getty@tty1.service', 'systemd-journald-audit.socket',
  'sys-kernel-config.mount', 'sys-kernel-debug.mount', 'sys-kernel-tracing.mount', 'systemd-remount-fs.service',
  'systemd-timesyncd.service', 'systemd-networkd-wait-online.service', 'dev-hugepages.mount', 'dev-mqueue.mount',
  'systemd-journal-flush.service', 'systemd-update-utmp.service', 'systemd-update-utmp-runlevel.service',
  'systemd-sysctl.service', 'systemd-sysusers.service',
];

export async function configureRootfs(root: string, suite: CatalogImage['suite'] = 'bookworm'): Promise<void> {
  const etc = (p: string) => join(root, 'etc', p);
  // Bullseye's OpenSSH (8.4) refuses KbdInteractiveAuthentication (8.7+) and would not start; it knows the old name.
  const kbd = suite === 'bullseye' ? 'ChallengeResponseAuthentication' : 'KbdInteractiveAuthentication';
  await writeFile(etc('ssh/sshd_config.d/stacklab.conf'), `HostKey /etc/ssh/ssh_host_ecdsa_key\nUseDNS no\nPermitRootLogin prohibit-password\n${kbd} no\n`);
  // Host keys are made per server at create; an image-wide key would let one lab impersonate another.
  for (const f of await readdir(etc('ssh'))) if (f.startsWith('ssh_host_')) await rm(etc(`ssh/${f}`), { force: true });
  await writeFile(etc('hostname'), 'localhost\n');
  await writeFile(etc('machine-id'), '');
  await rm(join(root, 'var/lib/dbus/machine-id'), { force: true });
  await writeFile(join(root, 'etc/systemd/system/stacklab-init.service'), INIT_UNIT);
  await writeFile(join(root, 'etc/systemd/system/stacklab-final.service'), FINAL_UNIT);
  const wants = join(root, 'etc/systemd/system/multi-user.target.wants');
  await mkdir(wants, { recursive: true });
  for (const unit of ['stacklab-init.service', 'stacklab-final.service']) {
    await rm(join(wants, unit), { force: true });
    await symlink(`/etc/systemd/system/${unit}`, join(wants, unit));
  }
  // Generators cost a process each at every boot and have nothing to generate in a container.
  const generators = join(root, 'etc/systemd/system-generators');
  await mkdir(generators, { recursive: true });
  for (const g of await readdir(join(root, 'lib/systemd/system-generators')).catch(() => [] as string[])) {
    await rm(join(generators, g), { force: true });
    await symlink('/dev/null', join(generators, g));
  }
  await mkdir(join(root, 'etc/systemd/system/ssh.service.d'), { recursive: true });
  await writeFile(join(root, 'etc/systemd/system/ssh.service.d/stacklab.conf'), SSH_DROPIN);
  for (const unit of MASKED_UNITS) {
    const p = join(root, 'etc/systemd/system', unit);
    try {
      await unlink(p);
    } catch {}
    await symlink('/dev/null', p);
  }
  await mkdir(join(root, 'etc/stacklab'), { recursive: true });
  await chmod(join(root, 'etc/stacklab'), 0o700);
  // The journal in memory only: lab servers are short-lived and disk writes slow the overlay.
  await mkdir(join(root, 'etc/systemd/journald.conf.d'), { recursive: true });
  await writeFile(join(root, 'etc/systemd/journald.conf.d/stacklab.conf'), '[Journal]\nStorage=volatile\nRuntimeMaxUse=16M\n');
}
