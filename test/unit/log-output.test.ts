import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger, prettyLine } from '../../src/app/log-output.ts';

/** A stdout stand-in that records what was written, claiming to be a terminal or not. */
function capture(isTTY: boolean): Writable & { isTTY: boolean; text(): string } {
  const chunks: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  }) as Writable & { isTTY: boolean; text(): string };
  out.isTTY = isTTY;
  out.text = () => chunks.join('');
  return out;
}

const redact = ['*.password'];

test('auto: a terminal gets readable lines, a pipe gets JSON lines', async () => {
  const terminal = capture(true);
  createLogger({ level: 'info', redact }, 'auto', terminal).info({ stack: 's1', state: 'READY' }, 'stack ready');
  const pipe = capture(false);
  createLogger({ level: 'info', redact }, 'auto', pipe).info({ stack: 's1' }, 'stack ready');
  await new Promise((r) => setImmediate(r));
  assert.match(terminal.text(), /^\d\d:\d\d:\d\d INFO {2}stack ready stack=s1 state=READY\n$/);
  assert.equal(JSON.parse(pipe.text()).msg, 'stack ready');
});

test('pretty lines keep redaction, quote values with spaces, and pass non-JSON through', async () => {
  const terminal = capture(false);
  createLogger({ level: 'info', redact }, 'pretty', terminal).warn({ login: { user: 'training', password: 'hunter2' }, reason: 'two words' }, 'login failed');
  await new Promise((r) => setImmediate(r));
  const line = terminal.text();
  assert.ok(!line.includes('hunter2'), 'a redacted secret reached the pretty log');
  assert.match(line, /WARN {2}login failed login=\{"user":"training","password":"\[Redacted\]"\} reason="two words"/);
  assert.equal(prettyLine('not json'), 'not json');
});
