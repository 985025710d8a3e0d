/**
 * A reset that takes a warm pool stack on the local runtime, end to end through stacklab's own runtime:
 * a learner's running stack of the single-server lab, with work of theirs in it, is reset while the
 * pool holds a suspended stack. The learner's stack (same id) gets the pool stack's environment,
 * resumed and personalized over SSH with the learner's new key; their old work is not there; and the
 * old environment is deleted from the host by the row that left the pool to carry it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BUILTIN_PERSONALIZE } from '../../src/checks/personalize.ts';
import type { Lab } from '../../src/domain/lab.ts';
import { skipUnless } from '../support/prerequisite.ts';
import type { TestRuntime } from '../support/test-runtime.ts';
import { sshExec, waitForLogin } from './ssh.ts';
import { lxcMissing, testProvider } from './support.ts';
import { deleteLabStacks, pooledSingleServer } from './lab-runtime-cleanup.ts';

const missing = await lxcMissing();

const PERSONALIZE = `${BUILTIN_PERSONALIZE}IFS= read -r learner
printf 'learner=%s stack=%s\\n' "$learner" "$3" > "$HOME/personalized.txt"
`;

describe('lxc: a reset takes a warm pool stack', { skip: skipUnless(missing === null, missing ?? ''), concurrency: false }, () => {
  let rt: TestRuntime;
  let lab: Lab;
  const provider = testProvider();
  const names: string[] = [];

  before(async () => {
    // Empty at first, so the learner's first launch makes a stack of its own.
    ({ rt, lab } = await pooledSingleServer(provider, 'pooled-reset', { size: 0, state: 'suspended', perRun: false, runs: [], personalize: PERSONALIZE }));
  });

  after(() => deleteLabStacks(rt, lab.id, provider, names));

  test("the learner's stack gets the pool stack's environment, made theirs; the old one is deleted from the host", async () => {
    const launched = await rt.ctx.stacks.launch({ learner: 'ada', context: 'course-v1:Org+Reset+2026', lab: lab.id, actor: 'test' });
    names.push(launched.providerStackName);
    const first = await rt.ctx.stacks.waitForState(launched.id, ['READY'], 120_000, 100);
    const firstLogin = { host: first.publicIp!, username: lab.user, privateKey: (await rt.ctx.stacks.secrets(first.id)).privateKey! };
    await waitForLogin(firstLogin, 60_000);
    const wrote = await sshExec(firstLogin, 'echo mine > ~/work.txt');
    assert.equal(wrote.code, 0, wrote.stderr);

    lab.pool!.size = 1;
    await rt.scheduler.runJob('warm pools');
    const [pooled] = (await rt.ctx.stacks.list({ lab: lab.id })).filter((s) => s.pool);
    assert.ok(pooled, 'the filler launched nothing');
    names.push(pooled.providerStackName);
    await rt.ctx.stacks.waitForState(pooled.id, ['READY'], 120_000, 100);
    await rt.scheduler.runJob('warm pools');
    await rt.ctx.stacks.waitForState(pooled.id, ['SUSPENDED'], 60_000, 100);
    lab.pool!.size = 0;

    const reset = await rt.ctx.stacks.reset(first.id, 'RESET', 'learner:ada');
    assert.equal(reset.id, first.id);
    assert.equal(reset.state, 'RESUME_PENDING', 'the reset did not take the pool stack');
    assert.equal(reset.providerStackName, pooled.providerStackName);
    const mine = await rt.ctx.stacks.waitForState(first.id, ['READY'], 60_000, 100);
    assert.equal(mine.learner, 'ada');
    assert.equal(mine.personalize, null);

    const login = { host: mine.publicIp!, username: lab.user, privateKey: (await rt.ctx.stacks.secrets(mine.id)).privateKey! };
    const file = await sshExec(login, 'cat ~/personalized.txt; test -e ~/work.txt && echo old-work-is-here || true');
    assert.equal(file.code, 0, file.stderr);
    assert.equal(file.stdout.trim(), `learner=ada stack=${mine.id}`, 'not personalized for the learner, or the old work came along');

    // The old environment went with the row that left the pool to carry it.
    await rt.ctx.stacks.waitForState(pooled.id, ['DELETED'], 60_000, 100);
    assert.equal(await provider.get({ id: first.providerStackId!, name: first.providerStackName }), null, 'the old environment is still on the host');
  });
});
