/**
 * Sentences a learner or instructor reads when something is refused or fails come from the catalogues,
 * never from English written where the error is thrown (docs/i18n.md). The source scan fails when a
 * thrower writes a sentence of its own; the rendering checks fail when a sentence does not format, or
 * does not come out translated, in a language a page can be shown in.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { AppError } from '../../src/errors/api-errors.ts';
import { inEnglish, sentence, type SentenceKey } from '../../src/errors/sentence.ts';
import { catalogue, translator } from '../../src/infra/i18n/catalogues.ts';
import { ALL_LOCALES, SOURCE_LOCALE } from '../../src/infra/i18n/locale-info.ts';
import { answerLocale } from '../../src/infra/i18n/negotiate.ts';
import { CLOSE_MARK, isPseudoLocale, OPEN_MARK } from '../../src/infra/i18n/pseudo.ts';
import { recognise } from '../../src/infra/i18n/recognise.ts';
import { INSTALL_ROOT } from '../../src/infra/install-root.ts';
import { sayIn } from '../../src/checks/check-view.ts';
import { SAMPLE_VALUES } from '../support/i18n-sample.ts';
import { errorPage } from '../../src/lti/html.ts';
import { errorControl } from '../../src/gateway/socket-messages.ts';
import { LtiError } from '../../src/lti/lti-error.ts';

const SRC = join(INSTALL_ROOT, 'src');

/**
 * Files whose English sentences are not (yet) this scan's business, each with why: the admin API speaks
 * to operators, who read English (docs/i18n.md, "What is translated"). History reasons are not thrown:
 * they are typed catalogue keys (src/infra/i18n/history-reasons.ts), which test/unit/history-reasons.test.ts checks.
 */
const NOT_SCANNED: Record<string, string> = {
  'errors/api-errors.ts': 'AppError itself: badInput passes its caller\'s sentence on, and its callers are scanned',
  'http/routes/lti-admin.ts': 'the admin API: operators',
  'http/service-auth.ts': 'the service and admin API tokens: operators',
};

/** Every error a person reads that takes its sentence as an argument: the constructor and which argument. */
const THROWERS: { call: RegExp; argument: number | 'message' }[] = [
  { call: /new AppError\(/g, argument: 'message' },
  { call: /AppError\.badInput\(/g, argument: 1 },
  { call: /new LtiError\(/g, argument: 1 },
  { call: /new LabConnectionError\(/g, argument: 1 },
  { call: /new RunError\(/g, argument: 1 },
  { call: /new GuacStatusError\(/g, argument: 0 },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(path) : entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The arguments of the call whose `(` is at `open`, split at top-level commas (strings and nesting respected). */
function callArguments(text: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let current = '';
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      current += c;
      if (c === '\\') current += text[++i];
      else if (c === quote) quote = null;
      continue;
    }
    // Comments inside a call (an apostrophe in them is not a quote).
    if (c === '/' && text[i + 1] === '/') {
      i = text.indexOf('\n', i);
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i) + 1;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    if ('([{'.includes(c)) depth++;
    if (')]}'.includes(c)) {
      if (depth === 0) {
        if (current.trim()) args.push(current.trim());
        return args;
      }
      depth--;
    }
    if (c === ',' && depth === 0) {
      args.push(current.trim());
      current = '';
      continue;
    }
    current += c;
  }
  throw new Error('unbalanced call');
}

/** The `message` property of an options object literal, if it has one (`message: x` or the shorthand `message`). */
function messageProperty(options: string | undefined): string | undefined {
  if (!options?.startsWith('{')) return undefined;
  const shorthand = /[{,]\s*message\s*[,}]/.test(options);
  if (shorthand) return 'message';
  const match = /[{,]\s*message\s*:\s*/.exec(options);
  return match ? options.slice(match.index + match[0].length) : undefined;
}

/** A sentence argument is fine when it is `sentence(...)`, or a name this file binds to `sentence(...)`, declares a Sentence or takes as a Sentence parameter. */
function isCatalogueSentence(value: string, file: string, path: string): boolean {
  if (value.startsWith('sentence(')) return true;
  const name = /^[A-Za-z_$][\w$]*/.exec(value)?.[0];
  if (!name) return false;
  const boundToSentence = new RegExp(`\\b${name}\\s*=\\s*[^;]*\\bsentence\\(`).test(file);
  const declaredSentence = new RegExp(`(const|let)\\s+${name}\\b[^\\n]*\\bSentence\\b`).test(file);
  const sentenceParameter = new RegExp(`[(,]\\s*${name}\\s*:\\s*Sentence\\s*[,)]`).test(file);
  if (boundToSentence || declaredSentence || sentenceParameter) return true;
  // Imported from a sibling module: bound there.
  const from = new RegExp(`import \\{[^}]*\\b${name}\\b[^}]*\\} from '(\\.[^']+)'`).exec(file)?.[1];
  if (!from) return false;
  const other = join(dirname(path), from);
  return new RegExp(`export const ${name}\\s*=\\s*[^;]*\\b(sentence|catalogueSentence)\\(`).test(readFileSync(other, 'utf8'));
}

/** What the scan finds wrong in one file's text: `line: call` for each thrower given English of its own. */
export function hardCodedSentences(text: string, path = join(SRC, 'scanned.ts')): string[] {
  const found: string[] = [];
  for (const { call, argument } of THROWERS) {
    for (const match of text.matchAll(call)) {
      const args = callArguments(text, match.index + match[0].length - 1);
      const value = argument === 'message' ? messageProperty(args[2]) : args[argument];
      if (value === undefined) continue;
      if (isCatalogueSentence(value, text, path)) continue;
      const line = text.slice(0, match.index).split('\n').length;
      found.push(`${line}: ${match[0]} … ${value.slice(0, 80)}`);
    }
  }
  return found;
}

describe('learner-visible sentences', () => {
  test('no error a learner or instructor reads is thrown with English of its own: each names a catalogue sentence', () => {
    const offenders: string[] = [];
    for (const path of sourceFiles(SRC)) {
      const name = relative(SRC, path);
      if (name in NOT_SCANNED) continue;
      for (const hit of hardCodedSentences(readFileSync(path, 'utf8'), path)) offenders.push(`src/${name}:${hit}`);
    }
    assert.deepEqual(offenders, [], 'throw with sentence(\'<catalogue key>\', { values }) instead (docs/i18n.md, "Adding a message")');
  });

  test('the scan itself catches a literal, a template and a shorthand message, and lets sentences through', () => {
    assert.equal(hardCodedSentences(`throw new AppError('BAD_REQUEST', 'x', { message: 'Your lab is gone.' });`).length, 1);
    assert.equal(hardCodedSentences('throw new AppError(\'BAD_REQUEST\', `x`, { clientDetail: d, message: `You have ${n} labs.` });').length, 1);
    assert.equal(hardCodedSentences(`const message = 'Gone.'; throw new AppError('INVALID_STATE', message, { message });`).length, 1);
    assert.equal(hardCodedSentences(`throw new LtiError('bad_request', 'Open it from your course.', 'detail');`).length, 1);
    assert.equal(hardCodedSentences(`throw AppError.badInput('name too long', 'Type a shorter name.');`).length, 1);
    assert.equal(hardCodedSentences(`throw new AppError('BAD_REQUEST', 'x', { message: sentence('error.BAD_REQUEST.demoName') });`).length, 0);
    assert.equal(hardCodedSentences(`const GONE = sentence('lti.refusal.busy'); throw new LtiError('busy', GONE, 'd');`).length, 0);
    assert.equal(hardCodedSentences(`throw new AppError('NOT_FOUND', \`lab \${id}\`);`).length, 0);
  });

  test('every error, refusal, terminal and check sentence formats in every locale a page can be shown in', () => {
    const keys = Object.keys(catalogue(SOURCE_LOCALE)).filter((key) => /^(error|lti|screen|check)\./.test(key));
    for (const locale of ALL_LOCALES) {
      const t = translator(locale);
      for (const key of keys) {
        const text = t(key, SAMPLE_VALUES);
        assert.notEqual(text, key, `${locale} ${key} does not format`);
        if (isPseudoLocale(locale)) assert.ok(text.startsWith(OPEN_MARK) && text.endsWith(CLOSE_MARK), `${locale} ${key}: ${text}`);
        else if (locale !== SOURCE_LOCALE && /\s/.test(text) && key !== 'lti.busy') assert.notEqual(text, translator(SOURCE_LOCALE)(key, SAMPLE_VALUES), `${locale} ${key} is English`);
      }
    }
  });

  test('an error keeps its English message (logs, tests, clients that ask for no language) and says its sentence', () => {
    const error = new AppError('LAUNCH_RATE_LIMITED', 'detail', { message: sentence('error.LAUNCH_RATE_LIMITED.wait', { max: 5, seconds: 1 }) });
    assert.equal(error.message, 'You started or reset labs 5 times in the last minute, the most allowed: wait 1 second, then try again.');
    assert.deepEqual(error.said, { key: 'error.LAUNCH_RATE_LIMITED.wait', values: { max: 5, seconds: 1 } });
    assert.deepEqual(new AppError('NOT_FOUND').said, { key: 'error.NOT_FOUND' });
    // Braces and angle brackets are quoted in the catalogue, so they come out as written.
    assert.equal(inEnglish(sentence('error.BAD_REQUEST.notObject')), 'The request body must be a JSON object ({...}).');
    assert.equal(inEnglish(sentence('lti.refusal.noLabParameter')), 'This course link does not say which lab to open: the course team must add the custom parameter lab=<lab id>.');
  });

  test("the gateway's error for the terminal carries its sentence's key and values, with the English for other clients", () => {
    assert.deepEqual(errorControl(sentence('screen.unreachableFromJump', { host: 'db-1' }), true), {
      type: 'error',
      message: 'The lab server "db-1" cannot be reached from the jump host yet.',
      key: 'screen.unreachableFromJump',
      values: { host: 'db-1' },
      retry: true,
    });
  });

  test('the LTI refusal page says the refusal in the page language, right to left in Arabic', () => {
    const refusal = new LtiError('lab_missing', sentence('lti.refusal.labUnknown', { lab: 'web-101' }), 'unknown lab web-101');
    const german = errorPage({ locale: 'de', t: translator('de') }, refusal.said, refusal.reason);
    assert.ok(german.includes(translator('de')('lti.refusal.labUnknown', { lab: 'web-101' }).replace(/"/g, '&quot;')), german);
    assert.ok(!german.includes(refusal.message.replace(/"/g, '&quot;')));
    assert.match(errorPage({ locale: 'ar-XB', t: translator('ar-XB') }, refusal.said, refusal.reason), /<html lang="ar-XB" dir="rtl">/);
  });

  test('API answers: the language asked for, a pseudo-locale only by its exact name', () => {
    assert.equal(answerLocale('de-CH, en;q=0.5'), 'de');
    assert.equal(answerLocale('en-XA, en'), 'en-XA');
    assert.equal(answerLocale('ar-EG'), undefined);
    assert.equal(answerLocale('ja, fr;q=0.4'), 'fr');
    assert.equal(answerLocale(undefined), undefined);
  });

  test("a check run's stored framing is recognised and said in the learner's language; an author's hint is left alone", () => {
    const keys: SentenceKey[] = ['check.run.noAddress', 'check.run.interrupted', 'check.run.failed'];
    for (const key of keys) assert.deepEqual(recognise(inEnglish(sentence(key)), ['check.run.']), { key, values: {} });
    const unreachable = inEnglish(sentence('check.run.unreachableServer', { host: 'db-1' }));
    assert.equal(unreachable, "Could not reach the server 'db-1' from the lab's jump host.");
    assert.deepEqual(recognise(unreachable, ['check.run.']), { key: 'check.run.unreachableServer', values: { host: 'db-1' } });
    const say = sayIn('fr');
    assert.equal(say(inEnglish(sentence('check.hint.timedOut', { seconds: 30 }))), translator('fr')('check.hint.timedOut', { seconds: '30' }));
    assert.equal(say("The check 'nginx runs' did not pass yet."), translator('fr')('check.hint.notPassed', { title: 'nginx runs' }));
    assert.equal(say('nginx is not listening on port 80'), 'nginx is not listening on port 80');
    assert.equal(sayIn(undefined)(unreachable), unreachable);
  });
});
