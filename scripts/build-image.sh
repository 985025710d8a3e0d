#!/usr/bin/env bash
# Builds the stacklab container image (deploy/image/Containerfile) from Debian packages only, with podman
# from Debian: a Debian base made by debootstrap (cached), then nodejs from Debian and the npm lockfile.
# Usage: scripts/build-image.sh [--refresh-base] [--postgres]      (as root; docs/deploy.md)
#   --postgres also builds localhost/stacklab-postgres:latest (PostgreSQL from Debian, for deploy/compose.yaml)
# Environment: STACKLAB_IMAGE (tag, default localhost/stacklab:latest), STACKLAB_IMAGE_SUITE (trixie),
# DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR, STACKLAB_IMAGE_CACHE (/var/cache/stacklab-image), STACKLAB_IMAGE_BASE_MAX_AGE (days, 7).
set -euo pipefail
cd "$(dirname "$0")/.."
# trixie is the first Debian release whose nodejs is 20 (bookworm's is 18, too old for stacklab).
SUITE=${STACKLAB_IMAGE_SUITE:-trixie}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
export STACKLAB_IMAGE_CACHE=${STACKLAB_IMAGE_CACHE:-/var/cache/stacklab-image}
CACHE=$STACKLAB_IMAGE_CACHE
TAG=${STACKLAB_IMAGE:-localhost/stacklab:latest}
BASE=localhost/stacklab-debian:$SUITE
MAX_AGE=${STACKLAB_IMAGE_BASE_MAX_AGE:-7}
podman() { scripts/with-podman.sh podman "$@"; }
step() { echo "::: [$(date +%T)] $*"; }
started=$SECONDS
refresh_base=false postgres=false
for arg in "$@"; do
  case $arg in
    --refresh-base) refresh_base=true ;;
    --postgres) postgres=true ;;
    *) echo "unknown option $arg; usage: scripts/build-image.sh [--refresh-base] [--postgres]" >&2; exit 2 ;;
  esac
done

for tool in podman debootstrap; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install podman runc debootstrap" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "build the image as root (debootstrap needs it)" >&2; exit 1; }
mkdir -p "$CACHE"

# 1. The base: a minimal Debian by debootstrap, kept as a tarball for MAX_AGE days. Its apt sources
#    include the security archive, and each image stage upgrades when it is rebuilt: a new base (weekly)
#    rebuilds them all, so security updates are at most MAX_AGE days late.
tarball=$CACHE/debian-$SUITE-minbase.tar
if $refresh_base || [ ! -s "$tarball" ] || [ -n "$(find "$tarball" -mtime +"$MAX_AGE")" ]; then
  step "base: debootstrap --variant=minbase $SUITE from $MIRROR (about a minute; cached in $tarball)"
  rootfs=$(mktemp -d "$CACHE/rootfs.XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  debootstrap --variant=minbase "$SUITE" "$rootfs" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -20 "$CACHE/debootstrap.log" >&2; echo "debootstrap failed; the whole log: $CACHE/debootstrap.log" >&2; exit 1; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/etc/apt/sources.list
  cat > "$rootfs/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  tar -C "$rootfs" --numeric-owner -cf "$tarball.tmp" --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' .
  mv "$tarball.tmp" "$tarball"
  rm -rf "$rootfs"
  trap - EXIT
else
  step "base: $tarball (made $(date -r "$tarball" +%F); --refresh-base makes a new one)"
fi

# 2. Imported into podman's store once per tarball: the label says which tarball an image came from.
stamp=$(stat -c %Y "$tarball")
if [ "$(podman image inspect --format '{{index .Config.Labels "stacklab.base"}}' "$BASE" 2>/dev/null)" != "$stamp" ]; then
  step "base: podman import as $BASE"
  podman import --change "LABEL stacklab.base=$stamp" --change 'CMD ["/bin/bash"]' "$tarball" "$BASE" >/dev/null
fi

# 3. The image. Layers are cached by podman: with the same lockfile, `npm ci` is not run again.
version=$(node -p 'require("./package.json").version' 2>/dev/null || echo dev)
step "image: podman build $TAG (cold: a few minutes; nodejs from Debian, npm ci from the lockfile)"
# This machine's CA bundle lets npm through a TLS-inspecting proxy (STACKLAB_IMAGE_HOST_CA= to lend none).
host_ca=${STACKLAB_IMAGE_HOST_CA-/etc/ssl/certs/ca-certificates.crt}
podman build --network host --layers --force-rm --build-arg "BASE=$BASE" --build-arg "VERSION=$version" \
  ${host_ca:+--volume "$host_ca:/run/host-ca.crt:ro"} -f deploy/image/Containerfile -t "$TAG" .
step "image: $TAG built in $((SECONDS - started)) s ($(podman image inspect --format '{{.Size}}' "$TAG" | awk '{printf "%d MB", $1/1e6}'))"

if $postgres; then
  step "image: podman build localhost/stacklab-postgres:latest (PostgreSQL from Debian)"
  podman build --network host --layers --force-rm --build-arg "BASE=$BASE" -f deploy/image/postgres.Containerfile -t localhost/stacklab-postgres:latest .
  step "image: localhost/stacklab-postgres:latest built; $((SECONDS - started)) s in all"
fi

# The images these replaced (untagged now) go; only ours carry the label, and the build stage's layers
# (npm ci's cache) are kept.
podman image prune -f --filter label=stacklab.image >/dev/null
# Untagged images built on an older base (its build stage too) can serve as a cache no more.
podman images --filter dangling=true --format '{{.ID}} {{index .Labels "stacklab.base"}}' |
  while read -r id base_stamp; do
    if [ -n "$base_stamp" ] && [ "$base_stamp" != "$stamp" ]; then podman rmi "$id" >/dev/null || true; fi
  done
