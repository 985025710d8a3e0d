/**
 * A warm pool on the local runtime, end to end through stacklab's own runtime: the filler launches a
 * pool stack of the single-server lab and suspends it; a learner's first launch takes it, and the
 * personalization (the built-in script plus a line of the lab's own) runs in the real server over SSH
 * with the pool's key. Afterwards the learner's key logs in and the pool's key does not, the password
 * is the learner's, and the file the personalization wrote is there.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BUILTIN_PERSONALIZE } from '../../src/checks/personalize.ts';
import type { Lab } from '../../src/domain/lab.ts';
import type { StackSecrets } from '../../src/domain/stack.ts';
import { skipUnless } from '../support/prerequisite.ts';
import type { TestRuntime } from '../support/test-runtime.ts';
import { sshExec, waitForLogin } from './ssh.ts';
import { lxcMissing, testProvider } from './support.ts';
import { deleteLabStacks, pooledSingleServer } from './lab-runtime-cleanup.ts';

const missing = await lxcMissing();

/** The built-in personalization, then what this lab adds: a file naming the learner and the course run. */
const PERSONALIZE = `${BUILTIN_PERSONALIZE}IFS= read -r learner
printf 'learner=%s run=%s stack=%s\\n' "$learner" "$2" "$3" > "$HOME/personalized.txt"
`;

describe('lxc: a warm pool stack claimed and made the learner\'s', { skip: skipUnless(missing === null, missing ?? ''), concurrency: false }, () => {
  let rt: TestRuntime;
  let lab: Lab;
  const provider = testProvider();
  const names: string[] = [];

  before(async () => {
    ({ rt, lab } = await pooledSingleServer(provider, 'pooled-single', { size: 1, state: 'suspended', perRun: false, runs: [], personalize: PERSONALIZE }));
  });

  after(() => deleteLabStacks(rt, lab.id, provider, names));

  test("the learner's own key works over SSH, the pool's does not, and the personalization's file is there", async () => {
    await rt.scheduler.runJob('warm pools');
    const [pooled] = (await rt.ctx.stacks.list({ lab: lab.id })).filter((s) => s.pool);
    assert.ok(pooled, 'the filler launched nothing');
    names.push(pooled.providerStackName);
    await rt.ctx.stacks.waitForState(pooled.id, ['READY'], 120_000, 100);
    const poolSecrets: StackSecrets = await rt.ctx.stacks.secrets(pooled.id);
    const ready = await rt.ctx.stacks.get(pooled.id);
    const poolLogin = { host: ready.publicIp!, username: lab.user, privateKey: poolSecrets.privateKey! };
    await waitForLogin(poolLogin, 60_000);
    await rt.scheduler.runJob('warm pools');
    await rt.ctx.stacks.waitForState(pooled.id, ['SUSPENDED'], 60_000, 100);

    const launched = await rt.ctx.stacks.launch({ learner: 'ada', context: 'course-v1:Org+Pool+2026', lab: lab.id, actor: 'test' });
    assert.equal(launched.id, pooled.id, 'the launch did not take the pool stack');
    const mine = await rt.ctx.stacks.waitForState(launched.id, ['READY'], 60_000, 100);
    assert.equal(mine.learner, 'ada');
    assert.equal(mine.personalize, null);

    const secrets = await rt.ctx.stacks.secrets(mine.id);
    assert.notEqual(secrets.privateKey, poolSecrets.privateKey);
    const learnerLogin = { host: mine.publicIp!, username: lab.user, privateKey: secrets.privateKey! };
    const file = await sshExec(learnerLogin, 'cat ~/personalized.txt');
    assert.equal(file.code, 0, file.stderr);
    assert.equal(file.stdout.trim(), `learner=ada run=course-v1:Org+Pool+2026 stack=${mine.id}`);
    await assert.rejects(sshExec(poolLogin, 'true', 10_000), /authentication/i, "the pool's key still logs in");
    // The password is the learner's: the shadow entry matches it (checked as root in the server).
    const check = await sshExec(learnerLogin, `sudo -n perl -e '@e = getpwnam("${lab.user}"); print crypt($ARGV[0], $e[1]) eq $e[1] ? "match" : "differs"' '${secrets.password}'`);
    assert.equal(check.stdout.trim(), 'match', check.stderr);
  });
});
