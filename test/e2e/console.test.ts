/**
 * The staff console in real headless Chromium on the local LXC runtime: an operator signs in, finds
 * stacks by learner, bulk-suspends two after a confirmation that names how many, sees the live counts
 * change without a reload and the suspend in a stack's history under their name, resumes one from its
 * page; the providers and labs
 * page; and the console in a frame of its own site. STACKLAB_SCREENSHOTS=docs writes the README's pictures.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { skipUnless } from '../support/prerequisite.ts';
import { e2eBlocker, e2eWorld, templateLab, type E2eWorld } from './support/e2e-world.ts';
import { budgetExtended } from '../../src/infra/i18n/history-reasons.ts';

const blocker = await e2eBlocker(['debian-12']);
const PASSWORD = 'correct horse battery staple';

describe('staff console (Chromium, local LXC runtime)', { skip: skipUnless(blocker === null, blocker ?? '') }, () => {
  let world: E2eWorld;
  const ids: string[] = [];

  before(async () => {
    world = await e2eWorld([templateLab('single-server', { id: 'e2e-console', title: 'Console lab', user: 'training', timeouts: { launch: 300, suspend: 3600, deleteAge: 3600, check: 60, remoteExec: 60 } })]);
    await world.runtime.ctx.operators.add('ada', PASSWORD);
    const { stacks } = world.runtime.ctx;
    for (const learner of ['grace', 'greta', 'linus']) ids.push((await stacks.launch({ learner, context: 'e2e-course', lab: 'e2e-console', actor: 'e2e' })).id);
    await Promise.all(
      ids.map((id) =>
        stacks.waitForState(id, ['READY'], 240_000).catch(async (error: Error) => {
          const stack = await stacks.get(id);
          throw new Error(`stack ${id} did not become READY (${stack.state}: ${stack.error ?? error.message})`);
        }),
      ),
    );
  });
  after(async () => world?.close());

  test('sign in, find two stacks, bulk-suspend them, see the counts move and the history', async () => {
    const page = await world.browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(`${world.base}/console`);
    await page.waitForSelector('#sign-in-name:focus');
    await page.fill('#sign-in-name', 'ada');
    await page.fill('#sign-in-password', 'a wrong password!');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#sign-in-error:text("wrong")');
    await world.screenshot(page, 'console-sign-in');
    await page.fill('#sign-in-password', PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#stacks-table');
    await page.waitForSelector('[data-count=running]:text("3 running")');
    assert.equal(await page.evaluate(() => document.cookie), '', 'the session cookie is HttpOnly: the page cannot read it');

    // Find the two learners whose ids start with "gr", with the keyboard.
    await page.fill('#f-q', 'gr');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#list-status:text("2 stacks")');
    await page.focus('#select-all');
    await page.keyboard.press('Space');
    await page.selectOption('#bulk-action', 'suspend');
    await world.screenshot(page, 'console-stacks');
    await page.click('#bulk-apply');
    await page.waitForSelector('#bulk-confirm-title:text("Suspend 2 stacks?")');
    await world.screenshot(page, 'console-confirm');
    await page.click('#bulk-go');
    await page.waitForSelector('#bulk-result:text("2 of 2 asked")');

    // The counts in the header follow without a reload (server-sent events).
    await page.waitForSelector('[data-count=suspended]:text("2 suspended")', { timeout: 60_000 });
    await page.waitForSelector('[data-count=running]:text("1 running")');
    for (const id of ids.slice(0, 2)) assert.equal((await world.runtime.ctx.stacks.get(id)).state, 'SUSPENDED');
    const grace = ids[0];
    assert.equal((await world.runtime.ctx.stacks.get(ids[2])).state, 'READY');

    // Course staff did something that moved no state: it is in the timeline too, with who did it.
    await world.runtime.ctx.stacks.recordStaffAction(grace, budgetExtended(3600, 'retake'), 'instructor:tess');
    await page.click('a:text-is("grace")');
    await page.waitForSelector('#timeline');
    await page.waitForSelector('#stack-state:text-is("SUSPENDED")');
    const history = await page.innerText('#timeline');
    assert.match(history, /READY → SUSPEND_PENDING suspend requested by operator:ada/);
    assert.match(history, /SUSPENDING → SUSPENDED/);
    assert.match(history, /staff action \(in SUSPENDED\) added 1 h of lab time to the budget \(retake\) by instructor:tess/);
    const body = await page.innerText('main');
    assert.ok(!/BEGIN (OPENSSH|RSA) PRIVATE KEY/.test(body), 'a private key reached the console');
    await world.screenshot(page, 'console-stack');

    // One stack from its own page: resume, confirmed for "1 stack".
    await page.click('button:text-is("Resume")');
    await page.waitForSelector('#bulk-confirm-title:text("Resume 1 stack?")');
    await page.click('#bulk-go');
    await page.waitForSelector('#stack-action-result:text("1 of 1 asked")');
    assert.match(await page.innerText('#timeline'), /SUSPENDED → RESUME_PENDING resume requested by operator:ada/);
    await world.runtime.ctx.stacks.waitForState(grace, ['READY'], 60_000);

    await page.click('a:text-is("Providers and labs")');
    await page.waitForSelector('#providers-table');
    assert.match(await page.innerText('#providers-table'), /local/);
    assert.match(await page.innerText('#labs-loaded'), /Console lab/);
    await world.screenshot(page, 'console-overview');

    // Framed by a page of its own site, with the same session.
    await page.goto(`${world.base}/healthz`);
    await page.evaluate(() => {
      const frame = document.createElement('iframe');
      frame.src = '/console';
      frame.style.width = '1200px';
      frame.style.height = '600px';
      document.body.append(frame);
    });
    const frame = await (await page.waitForSelector('iframe')).contentFrame();
    assert.ok(frame);
    await frame.waitForSelector('#stacks-table');

    await page.goto(`${world.base}/console`);
    await page.click('#sign-out');
    await page.waitForSelector('#sign-in-name');
    await page.reload();
    await page.waitForSelector('#sign-in-name');
    await page.close();
  });
});
