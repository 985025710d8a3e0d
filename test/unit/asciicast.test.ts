/**
 * Terminal recordings are valid asciicast v2 (the format asciinema plays): the recorder's file read back
 * line by line against the format's rules, UTF-8 split across chunks kept whole, timing from the
 * monotonic clock; the reader refuses what is not asciicast v2 with the line and the reason; and the
 * rule that attaches check runs to the session before them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseAsciicast } from '../../src/recordings/asciicast.ts';
import { attachRuns } from '../../src/recordings/attach-runs.ts';
import { TerminalRecorder } from '../../src/recordings/terminal-recorder.ts';

const dir = mkdtempSync(join(tmpdir(), 'stacklab-asciicast-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the recorder writes a header line and [time, "o", data] events with their timing', async () => {
  let now = 1000;
  const file = join(dir, 'session.cast');
  const recorder = new TerminalRecorder({ file, cols: 100, rows: 30, startedAt: new Date('2026-12-02T10:00:00Z'), title: 'Shell (default)', monotonic: () => now });
  recorder.output(Buffer.from('$ echo hi\r\n'));
  now += 250;
  const euro = Buffer.from('price: 5 €\r\n');
  // The euro sign's three bytes split between two chunks.
  recorder.output(euro.subarray(0, euro.length - 3));
  now += 1;
  recorder.output(euro.subarray(euro.length - 3));
  now += 1500.5;
  recorder.resize(120, 40);
  recorder.output(Buffer.from('\u001b[2Jdone'));
  await recorder.close();

  const text = readFileSync(file, 'utf8');
  const lines = text.trimEnd().split('\n');
  const header = JSON.parse(lines[0]) as Record<string, unknown>;
  assert.deepEqual(header, { version: 2, width: 100, height: 30, timestamp: Date.parse('2026-12-02T10:00:00Z') / 1000, title: 'Shell (default)', env: { TERM: 'xterm-256color' } });
  const events = lines.slice(1).map((line) => JSON.parse(line) as [number, string, string]);
  assert.deepEqual(events, [
    [0, 'o', '$ echo hi\r\n'],
    [0.25, 'o', 'price: 5 '],
    [0.251, 'o', '€\r\n'],
    [1.7515, 'r', '120x40'],
    [1.7515, 'o', '\u001b[2Jdone'],
  ]);
  assert.equal(recorder.bytes, Buffer.byteLength(text));
  const cast = parseAsciicast(text);
  assert.equal(cast.events.length, 5);
});

test('the reader refuses what is not asciicast v2, naming the line', () => {
  const header = '{"version":2,"width":80,"height":24,"timestamp":1}';
  assert.throws(() => parseAsciicast(''), /empty/);
  assert.throws(() => parseAsciicast('{"version":1,"width":80,"height":24}\n'), /line 1: version must be 2/);
  assert.throws(() => parseAsciicast('{"version":2,"width":0,"height":24}\n'), /line 1: width must be a positive integer/);
  assert.throws(() => parseAsciicast(`${header}\n[0.5,"o","a"]\n[0.2,"o","b"]\n`), /line 3: time 0.2 is before/);
  assert.throws(() => parseAsciicast(`${header}\n[0.5,"x","a"]\n`), /line 2: code must be/);
  assert.throws(() => parseAsciicast(`${header}\n[0.5,"o",7]\n`), /line 2: data must be a string/);
  assert.throws(() => parseAsciicast(`${header}\n[0.5,"r","wide"]\n`), /line 2: a resize's data is COLSxROWS/);
  assert.throws(() => parseAsciicast(`${header}\nnot json\n[1,"o","x"]\n`), /line 2 is not JSON/);
  // A last line cut short by a crash mid-write is dropped, the rest plays.
  assert.deepEqual(parseAsciicast(`${header}\n[0.5,"o","a"]\n[0.9,"o","b`).events, [[0.5, 'o', 'a']]);
});

test('a check run belongs to the latest recording that started before it', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 11, 2, 10, 0, s));
  const recordings = [{ id: 'second', startedAt: at(30) }, { id: 'first', startedAt: at(10) }];
  const runs = [{ id: 'before-any', startedAt: at(5) }, { id: 'after-first', startedAt: at(20) }, { id: 'after-second', startedAt: at(40) }, { id: 'also-second', startedAt: at(50) }];
  const attached = attachRuns(recordings, runs);
  assert.deepEqual(attached.map((r) => [r.id, r.checkRuns.map((c) => c.id)]), [
    ['first', ['after-first']],
    ['second', ['after-second', 'also-second']],
  ]);
});
