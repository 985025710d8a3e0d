import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LabCheck } from '../../src/domain/lab.ts';
import { THREE_CHECKS } from './support/three-checks.ts';
import { runChecks } from '../../src/checks/run-checks.ts';
import { SshTarget } from '../../src/checks/ssh-target.ts';
import { LabConnectionError } from '../../src/ssh/lab-connection-error.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { SSHD_PRESENT, SSHD_WHY, startLabSshd, type LabSshd } from './support/lab-sshd.ts';

describe('running checks over SSH', { skip: skipUnless(SSHD_PRESENT, SSHD_WHY) }, () => {
  let lab: LabSshd;
  let target: SshTarget;
  before(async () => {
    lab = await startLabSshd();
  });
  after(async () => {
    await lab?.stop();
  });
  const connect = () => (target = new SshTarget({ host: lab.host, username: lab.user, privateKey: lab.privateKey }));
  const limits = { checkSeconds: 60, remoteExecSeconds: 20 };

  test('one of three done: 1/3, and the two hints are the failing scripts stderr', async () => {
    await lab.learner('rm -rf ~/hello.txt ~/project ~/bin; echo hello > ~/hello.txt');
    connect();
    try {
      const outcome = await runChecks(target, THREE_CHECKS, limits);
      assert.equal(outcome.passed, 1);
      assert.equal(outcome.total, 3);
      assert.equal(outcome.score, 0.25); // weights 1 + 1 + 2, one of weight 1 passed
      assert.deepEqual(
        outcome.results.map((r) => r.passed),
        [true, false, false],
      );
      assert.equal(outcome.results[0].hint, undefined);
      assert.deepEqual(
        outcome.results.filter((r) => !r.passed).map((r) => r.hint),
        ['Make a folder named project in your home directory.', 'Write ~/bin/greet, an executable that prints hi.'],
      );
    } finally {
      target.close();
    }
  });

  test('after the learner does the rest: 3/3 and full score, no hints', async () => {
    await lab.learner('mkdir -p ~/project ~/bin && printf "#!/bin/sh\\necho hi\\n" > ~/bin/greet && chmod +x ~/bin/greet');
    connect();
    try {
      const outcome = await runChecks(target, THREE_CHECKS, limits);
      assert.deepEqual({ passed: outcome.passed, total: outcome.total, score: outcome.score }, { passed: 3, total: 3, score: 1 });
      assert.ok(outcome.results.every((r) => r.hint === undefined));
      // The uploaded scripts are removed after they ran.
      // (the learner's own command is such an uploaded script too, hence `! -path "$0"`)
      const left = await lab.learner('find /tmp -maxdepth 1 -type f -name "stacklab-*" -user "$(id -u)" ! -path "$0" | wc -l');
      assert.equal(left.stdout.trim(), '0');
    } finally {
      target.close();
    }
  });

  test('a hanging check is cut at the remote exec timeout, counts as failed, says why, and leaves no process', async () => {
    const marker = `sleep ${600 + Math.floor(Math.random() * 300)}`;
    const checks: LabCheck[] = [
      { title: 'hangs', weight: 1, script: `#!/bin/sh\necho "still thinking" >&2\n${marker}\n` },
      { title: 'fine', weight: 1, script: '#!/bin/sh\nexit 0\n' },
    ];
    connect();
    const started = Date.now();
    try {
      const outcome = await runChecks(target, checks, { checkSeconds: 60, remoteExecSeconds: 2 });
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 8_000, `took ${elapsed} ms`);
      assert.equal(outcome.results[0].passed, false);
      assert.equal(outcome.results[0].timedOut, true);
      assert.match(outcome.results[0].hint ?? '', /did not finish within 2 seconds/);
      assert.equal(outcome.results[1].passed, true);
      assert.deepEqual({ passed: outcome.passed, total: outcome.total, score: outcome.score }, { passed: 1, total: 2, score: 0.5 });
      const procs = await lab.learner(`pgrep -u "$(id -u)" -f "^${marker}$" | wc -l`);
      assert.equal(procs.stdout.trim(), '0');
    } finally {
      target.close();
    }
  });

  test('the whole run stops at the check timeout; checks it could not reach fail with a hint', async () => {
    const checks: LabCheck[] = [
      { title: 'slow but fine', weight: 1, script: '#!/bin/sh\nsleep 1\n' },
      { title: 'too slow', weight: 1, script: '#!/bin/sh\nsleep 30\n' },
      { title: 'never reached', weight: 1, script: '#!/bin/sh\nexit 0\n' },
    ];
    connect();
    try {
      const outcome = await runChecks(target, checks, { checkSeconds: 3, remoteExecSeconds: 30 });
      assert.deepEqual(
        outcome.results.map((r) => [r.passed, r.timedOut]),
        [
          [true, false],
          [false, true],
          [false, true],
        ],
      );
      assert.match(outcome.results[2].hint ?? '', /Not run/);
    } finally {
      target.close();
    }
  });

  test('a server the jump host cannot reach fails its checks with a hint; a dead jump host fails the run', async () => {
    connect();
    try {
      const outcome = await runChecks(target, [{ title: 'x', weight: 1, server: 'no-such-server', script: '#!/bin/sh\nexit 0\n' }], limits);
      assert.equal(outcome.results[0].passed, false);
      assert.match(outcome.results[0].hint ?? '', /Could not reach the server 'no-such-server'/);
    } finally {
      target.close();
    }
    const wrongKey = new SshTarget({ host: lab.host, username: 'nobody-here', privateKey: lab.privateKey });
    await assert.rejects(runChecks(wrongKey, THREE_CHECKS, limits), (error: unknown) => error instanceof LabConnectionError && /Could not log in/.test(error.message));
    wrongKey.close();
  });
});
