/**
 * The instructors' class view in real Chromium on the local LXC runtime: an instructor launches from
 * the LTI emulator (Open edX) with an instructor role, follows the lab page's "Class view" link, sees
 * the two learners of the course, watches one learner's terminal live (the learner's keystrokes appear;
 * the instructor's do not reach the lab until take-over, and the learner's page says who is watching),
 * takes over, finds that in the learner's history, adds time to a learner's budget, and plays the
 * learner's recorded session back.
 * STACKLAB_SCREENSHOTS=docs writes the screenshots docs/class-view.md shows.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { issueSession } from '../../src/http/session.ts';
import { eventually } from '../support/eventually.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { OpenEdxEmulator } from '../lti/emulator/open-edx-emulator.ts';
import { e2eBlocker, e2eWorld, templateLab, terminalText, typeLine, waitForTerminal, type E2eWorld } from './support/e2e-world.ts';

const blocker = await e2eBlocker(['debian-12']);
const COURSE = 'course-v1:StackLabX+CLASS101+2026_T1';
const LAB = 'e2e-class';

/** The visible text of an xterm inside `selector` (DOM renderer). */
function xtermText(page: Page, selector: string): Promise<string> {
  return page.evaluate((sel) => (document.querySelector(`${sel} .xterm-rows`) as HTMLElement | null)?.innerText ?? '', selector);
}

async function waitForXterm(page: Page, selector: string, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  await page.waitForFunction(
    ([sel, source]) => new RegExp(source, 'm').test((document.querySelector(`${sel} .xterm-rows`) as HTMLElement | null)?.innerText ?? ''),
    [selector, pattern.source] as const,
    { timeout: timeoutMs },
  );
  return xtermText(page, selector);
}

describe('class view (Chromium, LTI emulator, local LXC runtime)', { skip: skipUnless(blocker === null, blocker ?? '') }, () => {
  let world: E2eWorld;
  let emulator: OpenEdxEmulator;
  let ada: Page;
  let bob: Page;

  before(async () => {
    emulator = await OpenEdxEmulator.start({ host: 'localhost' });
    const ltiConfig = { platforms: [{ name: 'openedx', client_id: 'stacklab-e2e-client', deployment_ids: ['1'], ...emulator.registration }] };
    world = await e2eWorld([templateLab('single-server', { id: LAB, title: 'Shell for the class', user: 'training', usageLimit: { seconds: 36_000, mode: 'warn' }, timeouts: { launch: 300, suspend: 600, deleteAge: 3600, check: 60, remoteExec: 60 } })], {}, { ltiConfig });
    emulator.registerTool({
      clientId: 'stacklab-e2e-client',
      deploymentId: '1',
      loginUrl: `${world.base}/lti/login`,
      launchUrl: `${world.base}/lti/launch`,
      redirectUris: [`${world.base}/lti/launch`],
      keysetUrl: `${world.base}/.well-known/jwks.json`,
    });
    // The two learners' labs are built here, so the test's own time goes to the class view.
    ada = await learnerPage('ada');
    bob = await learnerPage('bob');
    await ada.waitForSelector('#overlay', { state: 'hidden', timeout: 100_000 });
    await bob.waitForSelector('#overlay', { state: 'hidden', timeout: 100_000 });
  });
  after(async () => {
    await world?.close();
    await emulator?.stop();
  });

  async function learnerPage(learner: string): Promise<Page> {
    const session = await issueSession(world.runtime.ctx.keys, { learner, context: COURSE, roles: ['Learner'], displayName: learner, lab: LAB }, 3600);
    const page = await world.browser.newPage({ viewport: { width: 1100, height: 620 } });
    await page.goto(`${world.base}/lab/${LAB}#session=${session}`);
    return page;
  }

  test('an instructor sees two learners, shadows one, takes over, and plays the recording', async () => {
    assert.equal(await ada.isVisible('#btn-class'), false, 'a learner is offered no class view');
    await typeLine(ada, 'echo ready-$((1+1))');
    await waitForTerminal(ada, /^ready-2\s*$/m);
    // The learner is told the session is recorded.
    await ada.waitForSelector('#recording-notice:not([hidden])');
    assert.match(await ada.innerText('#recording-notice'), /recorded/);

    // The instructor opens the course unit in the LMS; the lab page in its frame offers the class view.
    const teacher = emulator.addUser('teacher', 'instructor', { name: 'Tess Teacher' });
    const block = emulator.addBlock({ courseKey: COURSE, title: 'Lab: shell', custom: { lab: LAB } });
    const context = await world.browser.newContext({ viewport: { width: 1200, height: 900 } });
    const course = await context.newPage();
    await course.goto(emulator.coursewareUrl(teacher, block));
    const frame = (await (await course.waitForSelector('#lti-frame')).contentFrame())!;
    await frame.waitForSelector('#btn-class:not([hidden])', { timeout: 30_000 });
    const [classPage] = await Promise.all([context.waitForEvent('page'), frame.click('#btn-class')]);
    await classPage.waitForSelector('#roster tbody tr[data-learner="ada"]', { timeout: 20_000 });
    const learners = await classPage.$$eval('#roster tbody tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.learner));
    assert.ok(learners.includes('ada') && learners.includes('bob'), `roster: ${learners.join(', ')}`);
    assert.equal(await classPage.innerText('#class-context'), COURSE);
    // The instructor's own lab (the launch opened one) is listed by name, marked as staff, after the learners.
    assert.match(await classPage.innerText('#roster tbody tr:last-child'), /Tess Teacher staff/);
    await world.screenshot(classPage, 'class-view-roster');

    // The lab has a time budget: the instructor adds an hour to Bob's, and his row shows it.
    const bobRow = '#roster tbody tr[data-learner="bob"]';
    assert.match(await classPage.innerText(`${bobRow} .budget`), /left of 10:00:00/);
    // Time used and time left are the budget's two halves: they add up to it.
    const seconds = (clock: string) => clock.split(':').reduce((sum, part) => sum * 60 + Number(part), 0);
    const usedCell = await classPage.$eval(`${bobRow} .budget`, (el) => el.parentElement!.firstChild!.textContent!.trim());
    const left = /([\d:]+) left of/.exec(await classPage.innerText(`${bobRow} .budget`))![1]!;
    assert.equal(seconds(usedCell) + seconds(left), 10 * 3600, `used ${usedCell} and ${left} left do not make the budget`);
    await classPage.click(`${bobRow} button.add-time`);
    await classPage.waitForSelector('#budget-dialog[open]');
    assert.match(await classPage.innerText('#budget-dialog'), /Add lab time for bob/);
    await classPage.selectOption('#budget-amount', '3600');
    await classPage.click('#budget-confirm');
    await classPage.waitForFunction((sel) => /left of 11:00:00/.test(document.querySelector(sel)?.textContent ?? ''), `${bobRow} .budget`);
    assert.match(await classPage.innerText('#class-notice'), /bob now has \d+:\d\d:\d\d of lab time left/);

    // Watch Ada: her screen so far, then what she types now.
    await classPage.click('#roster tbody tr[data-learner="ada"] button.watch');
    await waitForXterm(classPage, '#shadow-terminal', /ready-2/);
    await ada.waitForSelector('#watch-notice:not([hidden])');
    assert.match(await ada.innerText('#watch-notice'), /An instructor is watching your terminal/);
    await typeLine(ada, 'echo learner-$((2+3))');
    await waitForXterm(classPage, '#shadow-terminal', /^learner-5\s*$/);

    // The instructor types while watching: nothing reaches the lab.
    await classPage.click('#shadow-terminal .xterm');
    await classPage.keyboard.type('echo teacher-$((4+4))', { delay: 5 });
    await classPage.keyboard.press('Enter');
    await typeLine(ada, 'echo marker-$((5+5))');
    await waitForTerminal(ada, /^marker-10\s*$/m);
    await waitForXterm(classPage, '#shadow-terminal', /^marker-10\s*$/);
    assert.doesNotMatch(await terminalText(ada), /teacher/);
    assert.doesNotMatch(await xtermText(classPage, '#shadow-terminal'), /teacher/);
    await world.screenshot(classPage, 'class-view-shadow');
    await world.screenshot(ada, 'class-view-learner-watched');

    // Take over: the instructor's keys reach the shell, and Ada is told.
    await classPage.click('#btn-takeover');
    await classPage.waitForSelector('#shadow-mode[data-mode="takeover"]');
    await ada.waitForSelector('.staff-notice[data-taken-over="true"]');
    assert.match(await ada.innerText('#watch-notice'), /taken over/);
    await classPage.click('#shadow-terminal .xterm');
    await classPage.keyboard.type('echo teacher-$((4+4))', { delay: 5 });
    await classPage.keyboard.press('Enter');
    await waitForTerminal(ada, /^teacher-8\s*$/m);
    await classPage.click('#btn-release');
    await ada.waitForSelector('.staff-notice[data-taken-over="false"]');
    await classPage.click('#btn-shadow-close');
    await ada.waitForSelector('#watch-notice', { state: 'hidden' });

    // What the instructor did is in Ada's history, with who did it.
    const stackId = await ada.evaluate(() => window.stacklab.stack?.id ?? '');
    await eventually(async () => (await world.runtime.ctx.stacks.events(stackId)).some((e) => e.reason === "stopped watching the learner's terminal") || undefined, 10_000, 'the watching written in the history');
    await classPage.click('#roster tbody tr[data-learner="ada"] button.history');
    await classPage.waitForSelector('#history-dialog[open] #history-list li');
    const history = await classPage.innerText('#history-list');
    assert.match(history, /instructor:\S+ took over the learner's terminal/);
    assert.match(history, /instructor:\S+ gave the learner's terminal back/);
    await classPage.click('#history-dialog button');

    // Ada leaves: her session's recording ends; the instructor plays it back.
    await ada.close();
    await eventually(async () => {
      const list = await world.runtime.ctx.recordings.store.forStack(stackId);
      return list.length && list.every((r) => r.endedAt) ? list : undefined;
    }, 10_000, "Ada's recording ended");
    await classPage.click('#roster tbody tr[data-learner="ada"] button.recordings');
    await classPage.waitForSelector('#recordings-list li button.play');
    await classPage.click('#recordings-list li:first-child button.play');
    await classPage.waitForSelector('#player[data-state="finished"]', { timeout: 60_000 });
    const replay = await xtermText(classPage, '#player-terminal');
    assert.match(replay, /^learner-5\s*$/m);
    assert.match(replay, /^teacher-8\s*$/m);
    assert.match(await classPage.innerText('#player-status'), /Finished/);
    await world.screenshot(classPage, 'class-view-recording');
    await bob.close();
    await context.close();
  });
});
