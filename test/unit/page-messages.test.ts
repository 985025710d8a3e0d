/**
 * Each page embeds the messages its script formats (src/http/page-i18n.ts, `messagesScript`): a key the
 * script asks for that the page did not embed comes out as the key itself, in every language. This
 * follows each page's script through its imports in web/ and checks every key it names (a literal, the
 * branches of a choice, the fixed part of a built key) against the page's list.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { CLASS_SCRIPT_MESSAGES } from '../../src/http/routes/class-page.ts';
import { CONSOLE_SCRIPT_MESSAGES } from '../../src/http/routes/console-page.ts';
import { DEMO_SCRIPT_MESSAGES } from '../../src/http/routes/demo.ts';
import { PAGE_SCRIPT_MESSAGES } from '../../src/http/routes/learner-page.ts';
import { catalogue } from '../../src/infra/i18n/catalogues.ts';
import { INSTALL_ROOT } from '../../src/infra/install-root.ts';

const WEB = join(INSTALL_ROOT, 'web');

/** Each page: the scripts it loads, and the messages it embeds for them. */
const PAGES: Record<string, { scripts: string[]; embeds: readonly string[] }> = {
  'lab page': { scripts: ['lab-page.ts', 'progress-check.ts'], embeds: PAGE_SCRIPT_MESSAGES },
  'class view': { scripts: ['class-page.ts'], embeds: CLASS_SCRIPT_MESSAGES },
  console: { scripts: ['console-page.ts'], embeds: CONSOLE_SCRIPT_MESSAGES },
  'demo course page': { scripts: ['demo-page.ts'], embeds: DEMO_SCRIPT_MESSAGES },
};

/** `file` and every module of web/ it imports, directly or not. */
function modules(file: string, found = new Set<string>()): Set<string> {
  if (found.has(file)) return found;
  found.add(file);
  for (const match of readFileSync(file, 'utf8').matchAll(/^import [^'"]*['"](\.{1,2}\/[^'"]+\.ts)['"]/gm)) {
    const path = join(dirname(file), match[1]);
    if (path.startsWith(WEB) && existsSync(path)) modules(path, found);
  }
  return found;
}

/** The text with comments blanked out; `://` in a URL is not a comment. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[^]*?\*\//g, ' ').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** The first argument of each `t(` / `tNodes(` call outside comments, as source text. */
function firstArguments(source: string): string[] {
  const text = withoutComments(source);
  const found: string[] = [];
  for (const match of text.matchAll(/\b(?:t|tNodes)\(/g)) {
    let depth = 0;
    let end = match.index + match[0].length;
    for (; end < text.length; end++) {
      const c = text[end];
      if ('([{'.includes(c)) depth++;
      else if (')]}'.includes(c)) {
        if (depth === 0) break;
        depth--;
      } else if (c === ',' && depth === 0) break;
    }
    found.push(text.slice(match.index + match[0].length, end));
  }
  return found;
}

/** The keys an argument names: quoted keys, and a template's fixed start (`state.${…}` → `state.`). */
export function keysNamed(argument: string): string[] {
  const keys = [...argument.matchAll(/'([a-z]+\.[A-Za-z0-9_.]+)'/g)].map((m) => m[1]);
  const built = /`([a-z]+\.[A-Za-z0-9_.]*)\$\{/.exec(argument);
  if (built) keys.push(built[1]);
  return keys;
}

const embedded = (key: string, embeds: readonly string[]) => embeds.some((entry) => (entry.endsWith('.') ? key.startsWith(entry) : key === entry));

describe("each page embeds the messages its script formats", () => {
  const english = catalogue('en');
  for (const [page, { scripts, embeds }] of Object.entries(PAGES)) {
    test(`${page}: every key its scripts name is embedded, and is in the catalogue`, () => {
      const files = new Set<string>();
      for (const script of scripts) modules(join(WEB, script), files);
      const problems: string[] = [];
      for (const file of files) {
        for (const key of firstArguments(readFileSync(file, 'utf8')).flatMap(keysNamed)) {
          const where = `web/${relative(WEB, file)}: ${key}`;
          if (!embedded(key, embeds)) problems.push(`${where} is not embedded by the ${page}`);
          if (!key.endsWith('.') && !(key in english)) problems.push(`${where} is not in en.json`);
        }
      }
      assert.deepEqual(problems, []);
    });
  }

  test('the scan reads literal keys, both branches of a choice and the start of a built key', () => {
    assert.deepEqual(firstArguments("t('lab.tryAgain'); t(desktop ? 'screen.a' : 'screen.b', { n }); t(`state.${s}`)").flatMap(keysNamed), ['lab.tryAgain', 'screen.a', 'screen.b', 'state.']);
    assert.deepEqual(firstArguments("/** `t('lab.x')` anywhere */ // t('lab.y')\nconst u = `${a}://b`; t('lab.z')").flatMap(keysNamed), ['lab.z']);
  });
});
