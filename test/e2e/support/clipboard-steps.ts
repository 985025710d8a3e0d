/**
 * The copy and paste tests' world and steps, shared by the Chromium (Playwright) and Firefox (Puppeteer)
 * tests so both browsers are put through the very same learner actions. What differs between the
 * browsers (how the test fills and reads the clipboard, presses a chord, double-clicks) each test file
 * says in its own `ClipboardDriver`.
 */
import assert from 'node:assert/strict';
import { gatewayWorld, sshLab, type GatewayWorld } from '../../gateway/support/gateway-world.ts';
import { rowStartPoint, typeLine, waitForTerminal, type TerminalPage } from './e2e-world.ts';

/** One shell lab on the local sshd, with terminal settings that `checkLabPage` expects to see applied. */
/** `framedBy`: the course page allowed to frame the lab page (the setting frame_ancestors). */
export function shellWorld(framedBy: string): Promise<GatewayWorld> {
  return gatewayWorld((sshd) => [sshLab(sshd, { terminal: { font: 'monospace', fontSize: 16, colorScheme: 'solarized-light' } })], { frame_ancestors: framedBy });
}

/** Launches `learner`'s shell lab; the lab page's address, with the session in its fragment. */
export async function launchShell(world: GatewayWorld, learner: string): Promise<string> {
  const session = await world.session(learner);
  await world.launch(session, 'shell');
  return `${world.base}/lab/shell#session=${session}`;
}

/** The lab page, once connected, took the session out of the address bar and applied the lab's terminal settings. */
export async function checkLabPage(page: Pick<TerminalPage, 'evaluate'> & { url(): string }): Promise<void> {
  assert.equal(new URL(page.url()).hash, '', 'the session leaves the address bar');
  const style = await page.evaluate(() => getComputedStyle(document.querySelector('#terminal .xterm-rows')!).fontSize);
  assert.equal(style, '16px');
}

/** How one browser does what the steps need; the keyboard is `terminal.keyboard`. */
export interface ClipboardDriver {
  /** The lab page, or `framedTerminal(…)` when a course page frames the lab. */
  terminal: TerminalPage;
  /** Puts `text` on the clipboard and leaves the lab's tab in front. */
  fillClipboard(text: string): Promise<void>;
  readClipboard(): Promise<string>;
  /** A chord written as Playwright writes it: "Control+Shift+V". */
  press(chord: string): Promise<void>;
  doubleClick(x: number, y: number): Promise<void>;
}

function aloneOnRow(output: string): RegExp {
  return new RegExp(`^${output.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'm');
}

/** Puts `command` on the clipboard, pastes it into the terminal with Ctrl+Shift+V and runs it. */
export async function pasteAndRun(lab: ClipboardDriver, command: string, output: string): Promise<void> {
  await lab.fillClipboard(command);
  await lab.terminal.click('#terminal .xterm');
  await lab.press('Control+Shift+V');
  await lab.terminal.keyboard.press('Enter');
  await waitForTerminal(lab.terminal, aloneOnRow(output));
}

/** Types and runs `command`, selects the `output` row's first word by double-clicking it, and copies it with Ctrl+Shift+C. */
export async function runAndCopy(lab: ClipboardDriver, command: string, output: string): Promise<void> {
  await typeLine(lab.terminal, command);
  await waitForTerminal(lab.terminal, aloneOnRow(output));
  const where = await rowStartPoint(lab.terminal, output);
  await lab.doubleClick(where.x, where.y);
  await lab.press('Control+Shift+C');
}
