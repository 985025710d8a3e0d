#!/bin/bash
greet="$HOME/bin/greet"
if [ ! -x "$greet" ]; then
  echo 'Write an executable script ~/bin/greet (remember chmod +x).' >&2
  exit 1
fi
out=$("$greet" Ada 2>/dev/null)
if [ "$out" != 'Hello, Ada!' ]; then
  echo "~/bin/greet Ada should print 'Hello, Ada!' but printed '$out'." >&2
  exit 1
fi
