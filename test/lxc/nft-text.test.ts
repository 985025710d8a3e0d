/**
 * The runtime's nft text and how it reads nft's exit (no root needed: a stand-in `nft` on PATH plays
 * the failures): a stack's tables are deleted in one transaction that a missing table cannot fail,
 * "does not exist" is done, other failures are tried again and then thrown, calls on the host
 * ruleset run one at a time, and tables are told apart by the deployment their comment names.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { deleteTablesText, nft, nftRemove } from '../../src/providers/lxc/nft.ts';
import { reclaimOrphanTables, stackTables, tableComment } from '../../src/providers/lxc/nft-owner.ts';
import { securityTables } from '../../src/providers/lxc/security-groups.ts';
import { ownersIn, parseDispatch, removeStackText } from '../../src/providers/lxc/nft-dispatch.ts';
import type { StateStore } from '../../src/providers/lxc/state.ts';

describe('lxc nft text', () => {
  test("a stack's two tables are declared, then deleted, in one text", () => {
    assert.equal(
      deleteTablesText(securityTables('slabc123')),
      'table bridge slabc123 {}\ndelete table bridge slabc123\ntable inet slabc123 {}\ndelete table inet slabc123\n',
    );
  });

  test('stack tables of `nft -t list ruleset`, with the deployment their comment names', () => {
    const ruleset = [
      'table inet stacklab {', '\tchain input {', '\t}', '}',
      'table bridge slabc123 {', `\tcomment "${tableComment('dep1')}"`, '\tchain forward {', '\t}', '}',
      'table inet slabc123 {', `\tcomment "${tableComment('dep1')}"`, '}',
      'table inet sl0000ff {', '\tcomment "stacklab deployment dep2"', '}',
      'table inet sldef456 {', '\tchain forward {', '\t}', '}',
      'table inet sl12345 {', '}',
      'table inet slabc1234 {', '}',
      'table ip sl999999 {', '}',
      'table inet sl777777 {', '\tcomment "someone else\'s"', '}',
    ].join('\n');
    assert.deepEqual(stackTables(ruleset), [
      { family: 'bridge', name: 'slabc123', deployment: 'dep1' },
      { family: 'inet', name: 'slabc123', deployment: 'dep1' },
      { family: 'inet', name: 'sl0000ff', deployment: 'dep2' },
      { family: 'inet', name: 'sldef456' },
      { family: 'inet', name: 'sl777777' },
    ]);
  });
});

describe('lxc nft dispatch tables', () => {
  // `nft -j list table inet stacklab_dep1` with two stacks' rules (trimmed to what is read).
  const json = JSON.stringify({ nftables: [
    { metainfo: { version: '1.0.6' } },
    { table: { family: 'inet', name: 'stacklab_dep1' } },
    { map: { family: 'inet', name: 'zone_in', table: 'stacklab_dep1', type: 'ifname', map: 'ct_zone', elem: [['slabc123n0', 7], ['sldef456n0', 9]] } },
    { map: { family: 'inet', name: 'bridge_in', table: 'stacklab_dep1', type: 'ifname', map: 'verdict', elem: [['slabc123n0', { jump: { target: 'slabc123_fwd' } }], ['sldef456n0', { jump: { target: 'sldef456_fwd' } }]] } },
    { map: { family: 'inet', name: 'empty', table: 'stacklab_dep1', type: 'ifname', map: 'verdict' } },
    { set: { family: 'inet', name: 'slabc123_g0', table: 'stacklab_dep1', type: 'ipv4_addr' } },
    { chain: { family: 'inet', table: 'stacklab_dep1', name: 'forward', hook: 'forward', prio: -300 } },
    { chain: { family: 'inet', table: 'stacklab_dep1', name: 'slabc123_judge' } },
    { chain: { family: 'inet', table: 'stacklab_dep1', name: 'slabc123_fwd' } },
    { chain: { family: 'inet', table: 'stacklab_dep1', name: 'sldef456_fwd' } },
  ] });

  test("a stack's removal names only its own elements, chains and sets: elements first, chains flushed before any is deleted", () => {
    assert.equal(removeStackText('inet', 'dep1', parseDispatch(json), 'slabc123'), [
      'delete element inet stacklab_dep1 zone_in { "slabc123n0" }',
      'delete element inet stacklab_dep1 bridge_in { "slabc123n0" }',
      'flush chain inet stacklab_dep1 slabc123_judge',
      'flush chain inet stacklab_dep1 slabc123_fwd',
      'delete chain inet stacklab_dep1 slabc123_judge',
      'delete chain inet stacklab_dep1 slabc123_fwd',
      'delete set inet stacklab_dep1 slabc123_g0',
      '',
    ].join('\n'));
    assert.equal(removeStackText('inet', 'dep1', parseDispatch(json), 'sl999999'), '', 'nothing of its own: no text');
  });

  test('the owners of a dispatch table are the short ids its names carry', () => {
    assert.deepEqual([...ownersIn(parseDispatch(json))].sort(), ['abc123', 'def456']);
  });
});

describe('lxc nft exit handling (a stand-in nft on PATH)', { concurrency: false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'nft-shim-'));
  const path = process.env.PATH;
  // Fails (exit 1, FAIL_MESSAGE) the first FAILS calls, then succeeds; logs each call's start and end.
  const shim = `#!/bin/sh
n=$(cat "${dir}/count" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "${dir}/count"
echo "start $n" >> "${dir}/log"; sleep 0.05; echo "end $n" >> "${dir}/log"
if [ "$n" -le "$(cat "${dir}/fails")" ]; then cat "${dir}/message" >&2; exit 1; fi
exit 0
`;
  const setUp = (fails: number, message = 'Error: Could not process rule: Device or resource busy') => {
    writeFileSync(join(dir, 'fails'), String(fails));
    writeFileSync(join(dir, 'message'), `${message}\n`);
    rmSync(join(dir, 'count'), { force: true });
    rmSync(join(dir, 'log'), { force: true });
  };
  const calls = () => Number(readFileSync(join(dir, 'count'), 'utf8'));

  before(() => {
    writeFileSync(join(dir, 'nft'), shim);
    chmodSync(join(dir, 'nft'), 0o755);
    process.env.PATH = `${dir}:${path}`;
  });
  after(() => {
    process.env.PATH = path;
    rmSync(dir, { recursive: true, force: true });
  });

  test('a failure is tried again, and the removal succeeds', async () => {
    setUp(2);
    await nftRemove('the tables', 'delete table inet x\n', { delaysMs: [10, 10, 10] });
    assert.equal(calls(), 3);
  });

  test('a failure that lasts is thrown with what nft said, after every attempt', async () => {
    setUp(99);
    await assert.rejects(nftRemove('the firewall tables of slabc123', 'delete table inet x\n', { delaysMs: [10, 10] }), /could not remove the firewall tables of slabc123 after 3 attempts: .*Device or resource busy/);
    assert.equal(calls(), 3);
  });

  test('"No such file or directory" is done, without trying again', async () => {
    setUp(99, 'Error: No such file or directory');
    await nftRemove('the elements', 'add element inet stacklab internet { 10.0.0.1 }\n', { delaysMs: [10] });
    assert.equal(calls(), 1);
  });

  test('text read from the ruleset is read again after "No such file or directory" (something went meanwhile), and then applied', async () => {
    setUp(1, 'Error: No such file or directory');
    const texts = ['delete element inet t m { "a", "b" }\n', 'delete element inet t m { "b" }\n'];
    let reads = 0;
    await nftRemove('the rules', async () => texts[reads++]!, { delaysMs: [10, 10] });
    assert.deepEqual([reads, calls()], [2, 2], 'read twice, applied twice');
  });

  test('calls on the host ruleset run one at a time', async () => {
    setUp(0);
    await Promise.all(Array.from({ length: 6 }, () => nft(['list', 'tables'])));
    const log = readFileSync(join(dir, 'log'), 'utf8').trim().split('\n');
    assert.equal(log.length, 12);
    for (let i = 0; i < log.length; i += 2) assert.deepEqual([log[i]!.split(' ')[0], log[i + 1]!.split(' ')[0]], ['start', 'end'], log.join(', '));
  });
});

describe("lxc reclaim of a deployment's leftover tables (a stand-in nft on PATH)", { concurrency: false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'nft-ruleset-'));
  const path = process.env.PATH;
  const shorts = Array.from({ length: 50 }, (_, i) => (0xa00000 + i).toString(16));
  const ruleset = [...shorts, 'b00000'].map((s) => `table inet sl${s} {\n\tcomment "stacklab deployment dep1"\n}\n`).join('');
  before(() => {
    writeFileSync(join(dir, 'ruleset'), ruleset);
    writeFileSync(join(dir, 'nft'), `#!/bin/sh\nif [ "$1" = "-t" ]; then cat "${dir}/ruleset"; elif [ "$1" = "-j" ]; then echo '{"nftables": []}'; else cat > /dev/null; fi\nexit 0\n`);
    chmodSync(join(dir, 'nft'), 0o755);
    process.env.PATH = `${dir}:${path}`;
  });
  after(() => {
    process.env.PATH = path;
    rmSync(dir, { recursive: true, force: true });
  });

  test('the stacks are read once for all the tables, not once per table (a pass at 300 labs read 90,000 files)', async () => {
    let lists = 0;
    const store = {
      list: async () => {
        lists += 1;
        return shorts.map((shortId) => ({ shortId }));
      },
      reserve: async () => true,
      release: async () => undefined,
    } as unknown as StateStore;
    const removed = await reclaimOrphanTables('dep1', store);
    assert.deepEqual(removed, ['inet slb00000']);
    // One read for all 51 tables, and one more under the orphan's reservation.
    assert.equal(lists, 2);
  });
});
