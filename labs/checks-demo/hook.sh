#!/bin/sh
# Runs before a suspend and after a resume with the event as $1; a failure here never blocks the lifecycle.
echo "$(date -u +%FT%TZ) $1" >> "$HOME/.stacklab-hooks.log"
