/**
 * What the pages' language tests check in Chromium (docs/i18n.md, "The pseudo-locale test"): text that
 * did not come from the catalogue, and layout that overflows. Shared by the lab page's, the console's and
 * the class view's tests.
 */
import { join } from 'node:path';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { REPO } from './e2e-world.ts';

/** Where the language tests' screenshots go: docs/i18n/ when STACKLAB_SCREENSHOTS=docs. */
export const I18N_SHOTS = process.env.STACKLAB_SCREENSHOTS === 'docs' ? join(REPO, 'docs', 'i18n') : join('/tmp', 'stacklab-e2e-screenshots', 'i18n');

/*
 * The checks run in the page as source text: tsx would add helpers (__name) to a function passed to
 * page.evaluate that the page does not have.
 *
 * Visible text outside the ⟦ ⟧ markers, and titles or labels without them; content by the lab author
 * (translate="no": the lab title, instructions, terminal) is exempt.
 */
const UNEXTERNALISED = `(() => {
    const found = [];
    const exempt = (el) => !el || Boolean(el.closest('[translate="no"], script, style'));
    const visible = (el) => el.checkVisibility({ visibilityProperty: true, opacityProperty: false });
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (!/\\S/.test(node.data) || exempt(parent) || !parent || !visible(parent)) continue;
      // The element that holds the whole message (it may be split by markup such as <strong>).
      let holder = parent;
      while (holder && !(holder.textContent ?? '').includes('⟦')) holder = holder.parentElement;
      if (!holder) {
        found.push(node.data.trim());
        continue;
      }
      const range = document.createRange();
      range.selectNodeContents(holder);
      range.setEnd(node, 0);
      const start = range.toString().length;
      const all = holder.textContent ?? '';
      let depth = 0;
      const inside = [];
      for (const ch of all) {
        if (ch === '⟦') depth++;
        inside.push(depth > 0);
        if (ch === '⟧') depth--;
      }
      // Index by UTF-16 unit, as the range counts: rebuild per unit.
      const units = [];
      [...all].forEach((ch, i) => ch.split('').forEach(() => units.push(inside[i])));
      for (let i = 0; i < node.data.length; i++) {
        if (/\\S/.test(node.data[i]) && !units[start + i]) {
          found.push(node.data.trim());
          break;
        }
      }
    }
    for (const el of document.querySelectorAll('[title], [aria-label], [placeholder]')) {
      if (exempt(el) || !visible(el)) continue;
      for (const name of ['title', 'aria-label', 'placeholder']) {
        const value = el.getAttribute(name);
        if (value && !value.includes('⟦')) found.push(\`\${el.tagName.toLowerCase()}[\${name}]="\${value}"\`);
      }
    }
    // A closed list's options are not laid out, so the walk above never sees them: read them from their list.
    for (const option of document.querySelectorAll('select option')) {
      const list = option.closest('select');
      if (exempt(option) || !visible(list)) continue;
      if (/\\S/.test(option.text) && !option.text.includes('⟦')) found.push(\`option "\${option.text.trim()}"\`);
    }
    if (!document.title.includes('⟦')) found.push(\`<title>\${document.title}\`);
    return found;
})()`;

export async function unexternalised(page: Page): Promise<string[]> {
  return page.evaluate(UNEXTERNALISED) as Promise<string[]>;
}

/**
 * The labels xterm gives its inputs for screen readers: a terminal's content is the lab's (exempt from
 * the check above), but these are the page's words. Each is `⟦` when marked, else in full.
 */
export async function terminalLabels(page: Page): Promise<string[]> {
  const labels = await page.locator('textarea.xterm-helper-textarea').evaluateAll((areas) => areas.map((a) => a.getAttribute('aria-label') ?? ''));
  return labels.map((label) => (label.startsWith('⟦') ? '⟦' : label));
}

/**
 * Elements whose content spills out of their box, and a page wider than the window. Inside `clipped`
 * (terminals, desktops: boxes that clip their content) an element may lie anywhere; `skipped` holds
 * content that is not the page's own (a lab's instructions).
 */
const overflowScript = (clipped: string, skipped: string) => `(() => {
    const clipped = ${JSON.stringify(clipped)};
    const skipped = clipped + ', ' + ${JSON.stringify(skipped)} + ', script, style';
    const found = [];
    // A box that scrolls sideways (a wide table's holder) may hold elements beyond the window: the reader
    // scrolls to them, and the box itself is checked like any other.
    const inScroller = (el) => {
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        const overflow = getComputedStyle(a).overflowX;
        if (overflow === 'auto' || overflow === 'scroll') return true;
      }
      return false;
    };
    if (document.documentElement.scrollWidth > window.innerWidth + 1) {
      // Name the element furthest out, so the failure says where to look.
      let worst = null, worstBy = 0;
      for (const el of document.querySelectorAll('*')) {
        // Inside the clipped terminal and desktop an element may lie anywhere without widening the page.
        if (el.closest(clipped) && !el.matches(clipped)) continue;
        const r = el.getBoundingClientRect();
        const by = Math.max(-r.left, r.right - window.innerWidth);
        if (r.width > 0 && by > worstBy) (worst = el), (worstBy = by);
      }
      const what = worst ? worst.tagName.toLowerCase() + (worst.id ? '#' + worst.id : '') + (worst.className ? '.' + String(worst.className).split(' ').join('.') : '') : '?';
      found.push(\`page is \${document.documentElement.scrollWidth}px wide in a \${window.innerWidth}px window (furthest out: \${what})\`);
    }
    for (const el of document.body.querySelectorAll('*')) {
      if (el.closest(skipped) || !el.checkVisibility()) continue;
      const hasText = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && /\\S/.test(n.textContent ?? ''));
      if (!hasText) continue;
      const box = el.getBoundingClientRect();
      // Text for screen readers only (clipped to a 1px box) is not laid out for the eye.
      if (box.width <= 1 || box.height <= 1) continue;
      const name = \`\${el.tagName.toLowerCase()}\${el.id ? '#' + el.id : ''}\`;
      if ((box.left < -1 || box.right > window.innerWidth + 1) && !inScroller(el)) found.push(\`\${name} lies outside the window (\${Math.round(box.left)}..\${Math.round(box.right)})\`);
      // SVG text (a plot's labels) has no box to spill out of: it is placed by coordinates, and the check
      // above finds it outside the window.
      if (!(el instanceof SVGElement) && getComputedStyle(el).display !== 'inline' && el.scrollWidth > el.clientWidth + 1) found.push(\`\${name} content is \${el.scrollWidth}px in a \${el.clientWidth}px box\`);
    }
    return found;
})()`;

export async function overflowing(page: Page, clipped = '#terminal, #desktop', skipped = '#instructions'): Promise<string[]> {
  return page.evaluate(overflowScript(clipped, skipped)) as Promise<string[]>;
}

/**
 * The reasons a history shows (the console's timeline, the class view's history dialog): each entry's
 * text, and whether it is shown as data (inside translate="no": an entry written before the history named
 * its messages, migration 017, shows its stored English).
 */
export async function historyReasons(page: Page, selector: string): Promise<{ text: string; asData: boolean }[]> {
  return page.evaluate(`[...document.querySelectorAll(${JSON.stringify(selector)})].map((el) => ({ text: el.textContent ?? '', asData: el.closest('[translate="no"]') !== null }))`) as Promise<
    { text: string; asData: boolean }[]
  >;
}

/**
 * Under a pseudo-locale, every reason that has a key is said through the catalogue (marked ⟦…⟧, the
 * values it carries still in it), and only the entry written before the keys is shown as stored. Fails
 * when a reason is shown in the server's English, even as data.
 */
export async function assertHistorySaid(page: Page, selector: string, expect: { atLeast: number; includes: string; legacy: string }): Promise<void> {
  const reasons = await historyReasons(page, selector);
  const said = reasons.filter((r) => !r.asData);
  assert.ok(said.length >= expect.atLeast, `only ${said.length} of ${reasons.length} history reasons said through the catalogue: ${JSON.stringify(reasons)}`);
  for (const r of said) assert.match(r.text, /^⟦[^]*⟧$/, `a history reason not from the catalogue: ${r.text}`);
  assert.ok(said.some((r) => r.text.includes(expect.includes)), `no reason carries its value "${expect.includes}": ${JSON.stringify(said)}`);
  assert.deepEqual(reasons.filter((r) => r.asData).map((r) => r.text), [expect.legacy], 'an entry from before migration 017 shows its stored text, as data');
}
