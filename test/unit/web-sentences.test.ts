/**
 * The browser's code (web/) writes no English sentence of its own: everything a learner or instructor
 * reads there comes from the catalogue through `t()` (docs/i18n.md). The pseudo-locale tests in Chromium
 * find such text on the screens they reach; this scan finds it on paths they do not (a desktop that sends
 * garbage, a socket the gateway closes), where it used to hide in status messages. A literal that starts
 * with a capitalised word and goes on with more words reads as a sentence and fails here, unless listed
 * below with why it is not shown as it is.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { INSTALL_ROOT } from '../../src/infra/install-root.ts';

const WEB = join(INSTALL_ROOT, 'web');

/** Literals that read as English but are not shown as they are, by file, with why. */
const NOT_SHOWN: Record<string, { literals: string[]; why: string }> = {
  'progress-check.ts': {
    literals: ['Check progress', 'Progress check result'],
    why: "the lab schema's English defaults, recognised to show their catalogue keys (check.label, check.heading) instead",
  },
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(path) : entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The text with comments blanked out (line numbers kept); `://` in a URL is not a comment. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[^]*?\*\//g, (comment) => comment.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** A sentence-like literal: a capitalised word, then at least one more word (template arguments left out). */
const SENTENCE = /^\s*[A-Z][a-z]+(?:[ ,;:'’-]+[A-Za-z]+)+/;

/** `line: literal` for each string, template or quoted, in `text` that reads as an English sentence. */
export function englishLiterals(text: string): { line: number; literal: string }[] {
  const code = withoutComments(text);
  const found: { line: number; literal: string }[] = [];
  for (const match of code.matchAll(/'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\]|\\.)*)`/g)) {
    const literal = match[1] ?? match[2] ?? match[3] ?? '';
    if (SENTENCE.test(literal.replace(/\$\{[^}]*\}/g, ''))) found.push({ line: code.slice(0, match.index).split('\n').length, literal });
  }
  return found;
}

describe('sentences in the browser code', () => {
  test('web/ writes no English sentence of its own: each comes from the catalogue', () => {
    const offenders: string[] = [];
    for (const path of sourceFiles(WEB)) {
      const name = relative(WEB, path);
      const allowed = new Set(NOT_SHOWN[name]?.literals ?? []);
      for (const { line, literal } of englishLiterals(readFileSync(path, 'utf8'))) if (!allowed.has(literal)) offenders.push(`web/${name}:${line}: ${literal}`);
    }
    assert.deepEqual(offenders, [], "use t('<catalogue key>', { values }) (docs/i18n.md, \"Adding a message\")");
  });

  test('the scan catches sentences in quotes, double quotes and templates, and lets keys, class names and comments through', () => {
    const hits = (text: string) => englishLiterals(text).map((h) => h.literal);
    assert.deepEqual(hits(`close(new Status(500, 'The desktop sent garbage.'));`), ['The desktop sent garbage.']);
    assert.deepEqual(hits('el.title = "Reload the page";'), ['Reload the page']);
    assert.deepEqual(hits('show(`Connected to ${host} now`);'), ['Connected to ${host} now']);
    assert.deepEqual(hits(`t('screen.desktopGarbled'); el.className = 'muted budget'; ws.close(1000, 'shell ended');`), []);
    assert.deepEqual(hits(`// The desktop closed.\n/* Closed by the page. */ const url = \`\${scheme}://\${host}\`;`), []);
  });
});
