/**
 * The pieces of the RDP gateway that are pure logic: the Guacamole wire format, the answer to guacd's
 * `args`, the page's display options, the guacd_url setting, and the set-up errors a learner sees.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AppContext } from '../../src/app/context.ts';
import { ConfigError, loadConfig } from '../../src/config/load-config.ts';
import { parseTcpUrl } from '../../src/config/schema.ts';
import { encodeInstruction, GuacamoleProtocolError, InstructionReader } from '../../src/gateway/guacamole-protocol.ts';
import { GuacStatusError } from '../../src/gateway/guac-status-error.ts';
import { connectValues, type RdpSettings } from '../../src/gateway/guacd-handshake.ts';
import { displayFromQuery, openRdpSession } from '../../src/gateway/rdp-session.ts';
import { isLoopback } from '../../src/gateway/rdp-target.ts';
import type { Stack } from '../../src/domain/stack.ts';
import { testLab } from '../support/test-runtime.ts';

describe('Guacamole wire format', () => {
  test('elements are length-prefixed in code points, instructions end with ;', () => {
    assert.equal(encodeInstruction('select', 'rdp'), '6.select,3.rdp;');
    assert.equal(encodeInstruction('size', 1024, 768, 96), '4.size,4.1024,3.768,2.96;');
    assert.equal(encodeInstruction('', 'ping'), '0.,4.ping;');
    // guacd counts Unicode characters: an emoji is one, though JavaScript's length says two.
    assert.equal(encodeInstruction('name', 'a😀é'), '4.name,3.a😀é;');
  });

  test('the reader returns whole instructions, however the text is cut', () => {
    const wire = '4.size,1.0,3.640,3.480;4.name,3.a😀é;4.blob,1.1,5.a.b;c;';
    for (let cut = 1; cut < wire.length; cut++) {
      const reader = new InstructionReader();
      const got = [...reader.push(wire.slice(0, cut)), ...reader.push(wire.slice(cut))];
      assert.deepEqual(
        got.map((i) => [i.opcode, ...i.args]),
        [
          ['size', '0', '640', '480'],
          ['name', 'a😀é'],
          ['blob', '1', 'a.b;c'],
        ],
        `cut at ${cut}`,
      );
      assert.equal(got.map((i) => i.raw).join(''), wire, 'raw text is kept for relaying');
    }
  });

  test('malformed input and oversized instructions are refused', () => {
    assert.throws(() => new InstructionReader().push('x.abc;'), GuacamoleProtocolError);
    assert.throws(() => new InstructionReader().push('3.abc!'), /instead of ',' or ';'/);
    assert.throws(() => new InstructionReader().push('4abc'), /not a number/);
    assert.throws(() => new InstructionReader(32).push(`5.mouse,40.${'x'.repeat(30)}`), /longer than 32/);
  });
});

const settings: RdpSettings = {
  hostname: '10.0.0.5',
  port: 3389,
  username: 'training',
  password: 's3cret',
  readOnly: false,
  width: 800,
  height: 600,
  dpi: 96,
  audio: [],
  video: [],
  image: ['image/png'],
};

describe("answering guacd's args", () => {
  test("each name gets the lab's value, unknown ones stay empty, the version is the older of both", () => {
    const { values, version } = connectValues(['VERSION_1_6_0', 'hostname', 'port', 'username', 'password', 'security', 'ignore-cert', 'read-only', 'color-depth'], settings);
    assert.deepEqual(values, ['VERSION_1_5_0', '10.0.0.5', '3389', 'training', 's3cret', 'any', 'true', '', '24']);
    assert.deepEqual(version, [1, 5, 0]);
    assert.deepEqual(connectValues(['VERSION_1_1_0', 'hostname'], settings).values, ['VERSION_1_1_0', '10.0.0.5']);
    assert.deepEqual(connectValues(['hostname'], settings).version, [1, 0, 0], 'no version offered: protocol 1.0.0');
    assert.equal(connectValues(['read-only'], { ...settings, readOnly: true }).values[0], 'true');
  });
});

describe("the page's display options", () => {
  test('numbers are clamped, bad media types and time zones dropped', () => {
    const display = displayFromQuery({ width: '99999', height: '10', dpi: 'x', tz: 'Europe/Zurich', audio: ['audio/L16', 'audio/<script>'], image: 'image/png', video: undefined });
    assert.deepEqual(display, { width: 8192, height: 64, dpi: 96, timezone: 'Europe/Zurich', audio: ['audio/L16'], video: [], image: ['image/png'] });
    assert.equal(displayFromQuery({ tz: 'Europe/Zurich;rm -rf' }).timezone, undefined);
    assert.equal(displayFromQuery({ audio: Array.from({ length: 40 }, () => 'audio/L8') }).audio.length, 16);
  });
});

describe('guacd_url', () => {
  test('tcp://host[:port], 4822 by default; anything else is refused at start', () => {
    assert.deepEqual(parseTcpUrl('tcp://127.0.0.1:4823'), { host: '127.0.0.1', port: 4823 });
    assert.deepEqual(parseTcpUrl('tcp://guacd.internal'), { host: 'guacd.internal', port: 4822 });
    assert.deepEqual(parseTcpUrl('tcp://[::1]:4822'), { host: '::1', port: 4822 });
    assert.equal(parseTcpUrl('http://guacd:4822'), undefined);
    assert.equal(parseTcpUrl('tcp://guacd:70000'), undefined);
    assert.equal(loadConfig({ env: { STACKLAB_GUACD_URL: 'tcp://127.0.0.1:4822' } }).config.guacd_url, 'tcp://127.0.0.1:4822');
    assert.equal(loadConfig({ env: {} }).config.guacd_url, undefined);
    assert.throws(() => loadConfig({ env: { STACKLAB_GUACD_URL: 'guacd:4822' } }), (e: ConfigError) => e.problems.some((p) => p.startsWith('guacd_url (STACKLAB_GUACD_URL): must be tcp://')));
  });

  test('loopback addresses are told apart from remote ones', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) assert.ok(isLoopback(host), host);
    for (const host of ['10.0.0.1', 'guacd.internal', '::2']) assert.ok(!isLoopback(host), host);
  });
});

describe('RDP set-up errors the learner sees', () => {
  const stack = { id: 'stk-1', publicIp: '10.0.0.9' } as Stack;
  const fakeCtx = (guacdUrl: string | undefined, password: string | undefined) =>
    ({ config: { guacd_url: guacdUrl }, stacks: { secrets: async () => ({ password }) } }) as unknown as AppContext;
  const grant = (host?: string) => ({ stack, lab: testLab({ protocol: 'rdp', port: 3389 }), server: { name: 'desktop', host, port: 3389 }, readOnly: false });

  const refused = (pattern: RegExp) => (error: unknown) => {
    assert.ok(error instanceof GuacStatusError, String(error));
    assert.match(error.message, pattern);
    assert.equal(error.guacStatus, 0x0200, 'a set-up error: the page does not retry');
    return true;
  };

  test('no guacd configured, no password output, a desktop behind the jump host with a remote guacd', async () => {
    await assert.rejects(openRdpSession(fakeCtx(undefined, 'pw'), grant(), {}), refused(/RDP\) is unavailable/));
    await assert.rejects(openRdpSession(fakeCtx('tcp://127.0.0.1:4822', undefined), grant(), {}), refused(/no password/));
    await assert.rejects(openRdpSession(fakeCtx('tcp://guacd.internal:4822', 'pw'), grant('10.1.0.7'), {}), refused(/behind the lab's jump host/));
  });
});
