/**
 * A server's side of its volumes. Templates written for a cloud format and mount the attached disk
 * in user_data (`mkfs.ext4 /dev/vdb; mount /dev/vdb /data`, or an /etc/fstab line and `mount -a`).
 * A container may not mount a block device, so the host mounts the volume's file system and binds
 * it at /var/lib/stacklab/volumes/vdX (volumes.ts), and the server gets small stand-ins, first in
 * root's PATH, for the commands that would fail: `mkfs*` on a volume empties it (it is already a
 * fresh ext4 file system), `mount` of a volume (by device, UUID=, LABEL=, or from fstab) binds its
 * folder where it was asked. Anything not about a volume goes to the real command untouched.
 */
import type { GuestFile } from './cloud-config.ts';
import { GUEST_VOLUMES_DIR } from './volumes.ts';

export const VOLUMES_UNIT = 'stacklab-volumes.service';

const MOUNT = `#!/bin/sh
# Written by stacklab (local runtime): this server's volumes (/dev/vdb...) are file systems the host
# mounted, as a container may not mount a block device. Mounting one (by /dev/vdX, UUID= or LABEL=,
# on the command line or from /etc/fstab) binds its folder in ${GUEST_VOLUMES_DIR} there instead.
# Everything else goes to the real mount.
V=${GUEST_VOLUMES_DIR}
real=/bin/mount
volume() {
  d=
  case "$1" in
    /dev/vd[b-z]) d=\${1#/dev/} ;;
    UUID=*|LABEL=*)
      for x in "$V"/*; do
        if [ "$(blkid -s "\${1%%=*}" -o value "/dev/\${x##*/}" 2>/dev/null)" = "\${1#*=}" ]; then d=\${x##*/}; break; fi
      done ;;
  esac
  [ -n "$d" ] && [ -d "$V/$d" ] && echo "$d"
}
bind() {
  mkdir -p "$2" || return 1
  # Bound already (a second mount -a): done, as mount -a skips what is mounted.
  if mountpoint -q "$2" && [ "$(stat -c %d "$2")" = "$(stat -c %d "$V/$1")" ]; then return 0; fi
  "$real" --bind "$V/$1" "$2"
}
fstab_volumes() {
  [ -r /etc/fstab ] || return 0
  while read -r src dst rest; do
    case "$src" in ''|\\#*) continue ;; esac
    if d=$(volume "$src"); then echo "$d $dst"; fi
  done < /etc/fstab
}
bind_fstab() {
  rc=0
  for entry in $(fstab_volumes | tr ' ' ':'); do bind "\${entry%%:*}" "\${entry#*:}" || rc=32; done
  return $rc
}
if [ "$1" = --stacklab-fstab ]; then bind_fstab; exit; fi
all= n=0 p1= p2= skip=
for a in "$@"; do
  if [ -n "$skip" ]; then skip=; continue; fi
  case "$a" in
    -a|--all) all=1 ;;
    -t|-o|-O|-T|-L|-U|-N|--types|--options|--test-opts|--fstab|--target|--source) skip=1 ;;
    -*) ;;
    *) n=$((n + 1)); if [ $n = 1 ]; then p1=$a; else p2=$a; fi ;;
  esac
done
if [ $n = 2 ] && d=$(volume "$p1"); then bind "$d" "$p2"; exit; fi
if [ $n = 1 ]; then
  pd=$(volume "$p1")
  for entry in $(fstab_volumes | tr ' ' ':'); do
    if [ "\${entry#*:}" = "$p1" ] || [ "\${entry%%:*}" = "$pd" ]; then bind "\${entry%%:*}" "\${entry#*:}"; exit; fi
  done
fi
if [ -n "$all" ]; then
  bind_fstab || echo "stacklab: a volume of /etc/fstab could not be bound" >&2
  # The real mount -a, without the volumes' lines (it would fail to mount them).
  f=/run/stacklab-fstab
  : > "$f"
  while IFS= read -r line; do
    set -- $line
    if [ $# -gt 0 ] && volume "$1" >/dev/null; then continue; fi
    printf '%s\\n' "$line" >> "$f"
  done < /etc/fstab
  exec "$real" -a -T "$f"
fi
exec "$real" "$@"
`;

const MKFS = `#!/bin/sh
# Written by stacklab (local runtime): /dev/vdb... of this server are volumes the host formatted
# (ext4, of the volume's size) and mounted; a container cannot format them again. Making a file
# system on one empties it instead, as a new file system would be. Anything else goes to the real tool.
V=${GUEST_VOLUMES_DIR}
me=\${0##*/}
last=
for a in "$@"; do last=$a; done
case "$last" in
  /dev/vd[b-z])
    d=\${last#/dev/}
    if [ -d "$V/$d" ]; then
      find "$V/$d" -mindepth 1 -maxdepth 1 ! -name lost+found -exec rm -rf {} +
      echo "stacklab: $last is a volume the host formatted (ext4, $(df -h --output=size "$V/$d" | tail -n 1 | tr -d ' ')); emptied it instead of running $me"
      exit 0
    fi ;;
esac
exec "/sbin/$me" "$@"
`;

const UNIT = `[Unit]
Description=stacklab: volumes listed in /etc/fstab bound at their places (a reboot of the server)
DefaultDependencies=no
After=local-fs.target stacklab-init.service
Before=ssh.service stacklab-final.service shutdown.target
Conflicts=shutdown.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/mount --stacklab-fstab

[Install]
WantedBy=multi-user.target
`;

const MKFS_NAMES = ['mkfs', 'mkfs.ext2', 'mkfs.ext3', 'mkfs.ext4', 'mke2fs', 'mkfs.xfs', 'mkfs.btrfs'];

/** The stand-ins and the boot unit, for a server that has volumes (the unit's wants link is made beside). */
export function volumeGuestFiles(): GuestFile[] {
  return [
    { path: '/usr/local/sbin/mount', content: MOUNT, mode: 0o755 },
    ...MKFS_NAMES.map((n) => ({ path: `/usr/local/sbin/${n}`, content: MKFS, mode: 0o755 })),
    { path: `/etc/systemd/system/${VOLUMES_UNIT}`, content: UNIT, mode: 0o644 },
  ];
}
