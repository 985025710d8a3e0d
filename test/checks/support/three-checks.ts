/** The tests' lab: three checks, the third on another server (`server2`, reached through the jump host). */
import type { LabCheck } from '../../../src/domain/lab.ts';

export const THREE_CHECKS: LabCheck[] = [
  {
    title: 'hello.txt',
    weight: 1,
    script: '#!/bin/bash\ngrep -qx hello ~/hello.txt 2>/dev/null || { echo "Create ~/hello.txt with the word hello in it." >&2; exit 1; }\n',
  },
  {
    title: 'project folder',
    weight: 1,
    script: '#!/bin/sh\ntest -d "$HOME/project" || { echo "Make a folder named project in your home directory." >&2; exit 1; }\n',
  },
  {
    title: 'greet on server2',
    weight: 2,
    server: 'server2',
    script:
      '#!/bin/bash\n[ "$(hostname)" = server2 ] || { echo "ran on $(hostname), not server2" >&2; exit 2; }\n' +
      '[ "$(~/bin/greet 2>/dev/null)" = "hi" ] || { echo "Write ~/bin/greet, an executable that prints hi." >&2; exit 1; }\n',
  },
];

/** What a learner types to do the first step, and then the rest. */
export const DO_FIRST_STEP = 'rm -rf ~/hello.txt ~/project ~/bin; echo hello > ~/hello.txt';
export const DO_THE_REST = 'mkdir -p ~/project ~/bin && printf "#!/bin/sh\\necho hi\\n" > ~/bin/greet && chmod +x ~/bin/greet';
