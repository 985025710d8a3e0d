#!/usr/bin/env bash
# Runs a command (podman, podman-compose) with the podman settings this machine needs, found out once.
# On a plain Debian host podman's defaults work and nothing is changed. Inside an LXC container (CI's
# machine) they do not: crun refuses the hybrid cgroup layout, and podman's default rlimits (nofile and
# nproc raised to the maximum) are refused too. There we use Debian's runc and rlimits the host allows,
# through a containers.conf of our own (CONTAINERS_CONF), so the host's /etc/containers is never touched.
# Usage: scripts/with-podman.sh podman run ... | scripts/with-podman.sh podman-compose up ...
set -euo pipefail
CACHE=${STACKLAB_IMAGE_CACHE:-/var/cache/stacklab-image}
conf=$CACHE/containers.conf

if [ ! -e "$conf" ]; then
  mkdir -p "$CACHE"
  # A rootfs of one static file is enough to see whether a container starts here.
  if podman info >/dev/null 2>&1 && podman run --rm --network none --rootfs / true >/dev/null 2>&1; then
    : > "$conf"
  else
    nofile=$(ulimit -Hn)
    cat > "$conf" <<CONF
# Written by scripts/with-podman.sh: podman's defaults failed on this machine (LXC: hybrid cgroups, rlimits).
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=32768:32768"]

[engine]
runtime = "runc"
CONF
  fi
fi
[ -s "$conf" ] && export CONTAINERS_CONF=$conf
exec "$@"
