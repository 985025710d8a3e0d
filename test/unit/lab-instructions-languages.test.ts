/** A lab's instructions in several languages: instructions.<lang>.md beside instructions.md, chosen like the page's language. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { labView } from '../../src/http/routes/learner-view.ts';
import { loadLab } from '../../src/labs/load-labs.ts';

const TEMPLATE = 'heat_template_version: 2016-10-14\nresources: {}\n';
const CONFIG = { keepalive_interval: 30, idle_timeout: 3600, connection_retry_budget: 180 };

function labDir(files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'labs-')), 'my-lab');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

test('translations beside the instructions file are loaded by language tag; other files are not', () => {
  const lab = loadLab(
    labDir({
      'lab.yaml': 'title: T\ninstructions: docs/instructions.md\n',
      'template.yaml': TEMPLATE,
      'docs/instructions.md': '# Hello',
      'docs/instructions.de.md': '# Hallo',
      'docs/instructions.pt-BR.md': '# Olá',
      'docs/instructions.backup.md': '# not a language',
      'docs/other.fr.md': '# pas les instructions',
    }),
    { defaultProviders: ['local'] },
  );
  assert.deepEqual(Object.keys(lab.translatedInstructions ?? {}).sort(), ['de', 'pt-BR']);
  assert.equal(lab.translatedInstructions?.de.file, 'docs/instructions.de.md');
});

test('the learner gets the instructions in the first of their languages the lab has, else the main file', () => {
  const lab = loadLab(
    labDir({ 'lab.yaml': 'title: T\ninstructions: instructions.md\n', 'template.yaml': TEMPLATE, 'instructions.md': '# Hello', 'instructions.de.md': '# Hallo', 'instructions.pt-BR.md': '# Olá', 'img.png': 'x' }),
    { defaultProviders: ['local'] },
  );
  const heading = (languages: string[]) => /<h1[^>]*>([^<]*)<\/h1>/.exec(labView(lab, CONFIG, false, undefined, languages).instructionsHtml)?.[1];
  assert.equal(heading(['de-AT', 'en']), 'Hallo');
  assert.equal(heading(['it', 'pt']), 'Olá', 'a language the page does not speak still picks the next one the lab has');
  assert.equal(heading(['fr']), 'Hello');
  assert.equal(heading([]), 'Hello');
});
