/** The lab page's "Check progress" panel (web/progress-check.ts) in real Chromium, on a local-runtime stack. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runRemoteScript } from '../../src/checks/remote-script.ts';
import { SshTarget } from '../../src/checks/ssh-target.ts';
import { loadLab } from '../../src/labs/load-labs.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { REPO, e2eBlocker, e2eWorld, type E2eWorld } from '../e2e/support/e2e-world.ts';

const blocker = await e2eBlocker(['debian-12']);

describe('progress check panel (Chromium, local LXC runtime)', { skip: skipUnless(blocker === null, blocker ?? '') }, () => {
  let world: E2eWorld;
  before(async () => {
    world = await e2eWorld([loadLab(join(REPO, 'labs', 'checks-demo'), { defaultProviders: ['local'] })]);
  });
  after(async () => world?.close());

  async function learnerTypes(stackId: string, command: string): Promise<void> {
    const stack = await world.runtime.ctx.stacks.get(stackId);
    const secrets = await world.runtime.ctx.stacks.secrets(stackId);
    const target = new SshTarget({ host: stack.publicIp!, username: 'training', privateKey: secrets.privateKey });
    try {
      const run = await runRemoteScript(await target.client(), `#!/bin/bash\nset -e\n${command}\n`, { timeoutMs: 30_000 });
      assert.equal(run.exitCode, 0, run.stderr);
    } finally {
      target.close();
    }
  }

  test('the button checks the work and shows passed checks and the hints of the failing ones', async () => {
    const page = await world.openLab('ada', 'checks-demo');
    const button = page.locator('#progress-check button.progress-check-button');
    await button.waitFor({ timeout: 30_000 });
    assert.equal(await button.innerText(), 'Check my work');
    await page.waitForFunction(() => !(document.querySelector('#progress-check button') as HTMLButtonElement | null)?.disabled, null, { timeout: 90_000 });
    const stackId = await page.evaluate(() => window.stacklab.stack?.id ?? '');
    assert.ok(stackId);

    await learnerTypes(stackId, 'mkdir -p ~/notes && echo hello > ~/notes/hello.txt');
    await button.click();
    await page.waitForSelector('.progress-check-summary:text("1 of 3 checks passed")', { timeout: 60_000 });
    assert.equal(await page.innerText('.progress-check-heading'), 'Your progress');
    assert.deepEqual(await page.locator('.progress-check-hint').allInnerTexts(), [
      'Write an executable script ~/bin/greet (remember chmod +x).',
      "Add a line 'Lab complete' to /etc/motd (it belongs to root: use sudo).",
    ]);
    await world.screenshot(page, 'progress-check-1-of-3');

    await learnerTypes(stackId, 'mkdir -p ~/bin && printf \'#!/bin/sh\\necho "Hello, $1!"\\n\' > ~/bin/greet && chmod +x ~/bin/greet && echo "Lab complete" | sudo tee -a /etc/motd >/dev/null');
    await button.click();
    await page.waitForSelector('.progress-check-summary:text("3 of 3 checks passed")', { timeout: 60_000 });
    assert.equal(await page.locator('.progress-check-hint').count(), 0);
    assert.equal(await page.locator('.progress-check-list li.passed').count(), 3);
    await world.screenshot(page, 'progress-check-3-of-3');
    await page.close();
  });
});
