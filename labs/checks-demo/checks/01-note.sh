#!/bin/sh
# A check passes when it exits 0; what it prints on stderr is the hint the learner sees when it fails.
if ! grep -qx 'hello' "$HOME/notes/hello.txt" 2>/dev/null; then
  echo 'Create the file ~/notes/hello.txt containing the single line: hello' >&2
  exit 1
fi
