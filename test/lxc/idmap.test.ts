/**
 * The labs' id range (which host ids a lab's root becomes) and the shift of files into it: the
 * range is recorded once in subuid/subgid files and never overlaps a range or an account already
 * there; a shift moves owners, keeps set-uid bits and file capabilities, and is idempotent.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ensureIdRange, freeRange, MAPPING_USER, SUBID_OWNER } from '../../src/providers/lxc/idmap.ts';
import { shiftOwners, shiftRootfs } from '../../src/providers/lxc/image-shift.ts';
import { IS_ROOT, prerequisite } from '../support/prerequisite.ts';

const dir = mkdtempSync(join(tmpdir(), 'stacklab-idmap-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function files(subuid: string, subgid: string, passwd = 'root:x:0:0::/root:/bin/sh\n') {
  const d = mkdtempSync(join(dir, 'etc-'));
  const f = { subuid: join(d, 'subuid'), subgid: join(d, 'subgid'), passwd: join(d, 'passwd'), group: join(d, 'group') };
  writeFileSync(f.subuid, subuid);
  writeFileSync(f.subgid, subgid);
  writeFileSync(f.passwd, passwd);
  writeFileSync(f.group, 'root:x:0:\n');
  return f;
}

describe('lxc id range', () => {
  test('a free block skips every subordinate range and account, aligned to 65536', () => {
    assert.deepEqual(freeRange([], []), { first: 100_000, count: 65536 });
    assert.deepEqual(freeRange([{ owner: 'alice', first: 100_000, count: 65536 }], []), { first: 196_608, count: 65536 });
    assert.deepEqual(freeRange([{ owner: 'alice', first: 100_000, count: 65536 }], [200_000]), { first: 262_144, count: 65536 });
  });

  test('the range is recorded in both files once, after the lines already there, and read back', async () => {
    const f = files('alice:100000:65536', 'alice:100000:65536\n');
    const first = await ensureIdRange(f);
    assert.deepEqual(first, { first: 196_608, count: 65536 });
    // root, who runs lxc-start, is granted the same range: newuidmap maps only what these files grant.
    assert.equal(readFileSync(f.subuid, 'utf8'), `alice:100000:65536\n${SUBID_OWNER}:196608:65536\n${MAPPING_USER}:196608:65536\n`);
    assert.equal(readFileSync(f.subgid, 'utf8'), `alice:100000:65536\n${SUBID_OWNER}:196608:65536\n${MAPPING_USER}:196608:65536\n`);
    assert.deepEqual(await ensureIdRange(f), first);
    assert.equal(readFileSync(f.subuid, 'utf8').split(SUBID_OWNER).length, 2, 'no second line');
    assert.equal(readFileSync(f.subuid, 'utf8').split(`${MAPPING_USER}:`).length, 2, 'no second grant');
  });

  test("a range recorded before root's grant existed gets it; a line of root's that covers the range is enough", async () => {
    const f = files(`${SUBID_OWNER}:100000:65536\n`, `root:0:1000000\n${SUBID_OWNER}:100000:65536\n`);
    assert.deepEqual(await ensureIdRange(f), { first: 100_000, count: 65536 });
    assert.equal(readFileSync(f.subuid, 'utf8'), `${SUBID_OWNER}:100000:65536\n${MAPPING_USER}:100000:65536\n`);
    assert.equal(readFileSync(f.subgid, 'utf8'), `root:0:1000000\n${SUBID_OWNER}:100000:65536\n`, "root's own wider range already allows it");
  });

  test('files that disagree on the range are refused with what to do', async () => {
    const f = files(`${SUBID_OWNER}:300000:65536\n`, `${SUBID_OWNER}:400000:65536\n`);
    await assert.rejects(ensureIdRange(f), /disagree on the "stacklab-lxc" range.*give both the same start/);
  });

  test('a shift moves owners into the range, keeps set-uid bits and capabilities; a second shift changes nothing', async (t) => {
    if (!prerequisite(t, IS_ROOT, 'changing file owners needs root')) return;
    const root = join(dir, 'rootfs');
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    mkdirSync(join(root, 'home/training'), { recursive: true });
    writeFileSync(join(root, 'usr/bin/tool'), '#!/bin/sh\n');
    chmodSync(join(root, 'usr/bin/tool'), 0o4755);
    copyFileSync('/bin/true', join(root, 'usr/bin/ping'));
    execFileSync('setcap', ['cap_net_raw=ep', join(root, 'usr/bin/ping')]);
    writeFileSync(join(root, 'home/training/notes'), 'x');
    execFileSync('chown', ['-R', '1000:1000', join(root, 'home/training')]);
    symlinkSync('/etc/nowhere', join(root, 'link'));
    await shiftRootfs(root, 0, { first: 200_000, count: 65536 }, join(dir, 'journal.json'));
    const st = (p: string) => lstatSync(join(root, p));
    assert.equal(st('usr/bin/tool').uid, 200_000);
    assert.equal(st('usr/bin/tool').mode & 0o7777, 0o4755, 'the set-uid bit survives the chown');
    assert.equal(st('home/training/notes').uid, 201_000);
    assert.equal(st('home/training/notes').gid, 201_000);
    assert.equal(st('link').uid, 200_000, 'the link itself, not its target');
    assert.equal(st('.').uid, 200_000);
    assert.match(execFileSync('getcap', ['-n', join(root, 'usr/bin/ping')], { encoding: 'utf8' }), /cap_net_raw=ep \[rootid=200000\]/);
    // A second shift of the same files is a no-op: already-moved ids are outside the source range.
    assert.equal(await shiftOwners(root, 0, 200_000), 0);
  });
});
