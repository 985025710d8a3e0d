#!/bin/sh
# Builds a base image of the local runtime (LXC) once: debootstrap of Debian 12 with systemd,
# OpenSSH and sudo, about a minute and ~280 MB. CI runs it before the lxc tests:
#   sudo scripts/build-image.sh            # debian-12
#   sudo scripts/build-image.sh desktop    # the VNC desktop image
# Same as `stacklab image build [name]`. STACKLAB_LXC_DATA_DIR overrides /var/lib/stacklab/lxc.
set -e
cd "$(dirname "$0")/.."
exec node --import tsx --input-type=module -e "
const { imageCommand } = await import('./src/providers/lxc/image-command.ts');
await imageCommand().parseAsync(['build', ...process.argv.slice(1)], { from: 'user' });
" -- "$@"
