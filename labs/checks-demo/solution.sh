#!/bin/bash
# What a learner who followed the instructions did; `stacklab test` runs it, then expects every check to pass.
set -eu
mkdir -p ~/notes ~/bin
echo hello > ~/notes/hello.txt
cat > ~/bin/greet <<'SCRIPT'
#!/bin/sh
echo "Hello, $1!"
SCRIPT
chmod +x ~/bin/greet
echo 'Lab complete' | sudo tee -a /etc/motd >/dev/null
