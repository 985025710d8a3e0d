/**
 * Headless Firefox for the end-to-end tests: Debian's firefox-esr driven by puppeteer-core over WebDriver
 * BiDi (Playwright needs its own patched Firefox, so it cannot drive this one; nothing is ever downloaded).
 *
 * The clipboard helpers go through the browser's own Ctrl+C / Ctrl+V in a plain text field, as a learner
 * copying from or pasting into another tab would. That reads and writes the browser's real clipboard with
 * no testing preference that would loosen Firefox's rules for web pages (user activation, paste prompt).
 */
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type BrowserContext, type KeyInput, type Page } from 'puppeteer-core';

export const FIREFOX = '/usr/bin/firefox-esr';
export const HAVE_FIREFOX = existsSync(FIREFOX);

export function launchFirefox(): Promise<Browser> {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    // Puppeteer's own profile preferences only: no clipboard or permission preference is loosened.
    headless: true,
  });
}

/** Presses a chord written as Playwright writes it ("Control+Shift+V"): modifiers down, key, modifiers up. */
export async function pressChord(page: Page, chord: string): Promise<void> {
  const keys = chord.split('+') as KeyInput[];
  const key = keys.pop();
  if (!key) throw new Error(`pressChord: empty chord "${chord}"`);
  for (const modifier of keys) await page.keyboard.down(modifier);
  await page.keyboard.press(key);
  for (const modifier of keys.reverse()) await page.keyboard.up(modifier);
}

/**
 * A tab with one text field, standing for "anywhere else" the learner copies from or pastes into.
 * Its clipboard is the browser's, shared with every tab.
 */
export class ScratchTab {
  private constructor(private readonly page: Page) {}

  static async open(context: BrowserContext): Promise<ScratchTab> {
    const page = await context.newPage();
    await page.setContent('<textarea id="scratch" cols="80" rows="4"></textarea>');
    return new ScratchTab(page);
  }

  /** Puts `text` on the clipboard by selecting it in the field and pressing Ctrl+C. */
  async copy(text: string): Promise<void> {
    await this.page.bringToFront();
    await this.page.$eval('#scratch', (field, value) => ((field as HTMLTextAreaElement).value = value), text);
    await this.page.focus('#scratch');
    await this.page.$eval('#scratch', (field) => (field as HTMLTextAreaElement).select());
    await pressChord(this.page, 'Control+C');
  }

  /** The clipboard's text, read by pressing Ctrl+V in the emptied field. */
  async paste(): Promise<string> {
    await this.page.bringToFront();
    await this.page.$eval('#scratch', (field) => ((field as HTMLTextAreaElement).value = ''));
    await this.page.focus('#scratch');
    await pressChord(this.page, 'Control+V');
    return this.page.$eval('#scratch', (field) => (field as HTMLTextAreaElement).value);
  }
}
