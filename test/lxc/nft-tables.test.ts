/**
 * A stack's firewall rules on the host: a deployment has four base chains however many stacks it runs
 * (each stack's rules are reached through its deployment's verdict maps, so a packet's cost does not
 * grow with the labs); stacks deleted side by side leave none of theirs; an nft
 * failure while deleting is tried again, and one that lasts fails the delete (the stack stays, DELETE
 * FAILED, and a later delete removes the tables) instead of dropping them unseen; the reconcile
 * takes back this deployment's leftover tables and leaves another deployment's, a live stack's and
 * another program's alone.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { deploymentDir } from '../../src/providers/lxc/provider.ts';
import { parseLxcOptions } from '../../src/providers/lxc/options.ts';
import { tableComment } from '../../src/providers/lxc/nft-owner.ts';
import { dispatchTable, dispatchText } from '../../src/providers/lxc/nft-dispatch.ts';
import { removeSecurityRules } from '../../src/providers/lxc/security-groups.ts';
import type { StackRef } from '../../src/providers/provider.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { LXC_DATA_DIR, labTemplate, leftovers, lxcMissing, stackState, testProvider, uniqueName, waitFor } from './support.ts';

const missing = await lxcMissing();
const suffix = randomBytes(4).toString('hex');
const DEP = `tn${suffix}`;
const OTHER = `to${suffix}`;
const home = deploymentDir(parseLxcOptions({ dataDir: LXC_DATA_DIR }), DEP);
const REAL_NFT = ['/usr/sbin/nft', '/sbin/nft', '/usr/bin/nft'].find((p) => { try { execFileSync(p, ['--version']); return true; } catch { return false; } }) ?? 'nft';
const nftSync = (args: string[], input?: string) => execFileSync(REAL_NFT, args, { encoding: 'utf8', ...(input ? { input } : {}) });
const tables = () => nftSync(['list', 'tables']);
const hasTable = (family: string, name: string) => tables().split('\n').includes(`table ${family} ${name}`);
/** Base chains on the host (chains with a hook), in every table. */
const baseChains = () => (JSON.parse(nftSync(['-j', 'list', 'chains'])) as { nftables: { chain?: { hook?: string } }[] }).nftables.filter((i) => i.chain?.hook).length;
const dropDispatch = (dep: string) => nftSync(['-f', '-'], ['bridge', 'inet'].map((f) => `table ${f} ${dispatchTable(dep)} {}\ndelete table ${f} ${dispatchTable(dep)}\n`).join(''));

/** A stand-in `nft` first on PATH: fails the next `fails` calls that delete a table, passes everything else to nft. */
function nftShim(): { fails(n: number): void; failed(): number; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'nft-shim-'));
  writeFileSync(
    join(dir, 'nft'),
    `#!/bin/sh
if [ "$1" = "-f" ]; then input=$(cat); else input="$*"; fi
case "$input" in
  *"delete table"*)
    left=$(cat "${dir}/fails")
    if [ "$left" -gt 0 ]; then echo $((left - 1)) > "${dir}/fails"; echo x >> "${dir}/failed"; echo "Error: Could not process rule: Device or resource busy" >&2; exit 1; fi ;;
esac
if [ "$1" = "-f" ]; then printf '%s\\n' "$input" | exec ${REAL_NFT} "$@"; fi
exec ${REAL_NFT} "$@"
`,
  );
  chmodSync(join(dir, 'nft'), 0o755);
  writeFileSync(join(dir, 'fails'), '0');
  const path = process.env.PATH;
  process.env.PATH = `${dir}:${path}`;
  return {
    fails: (n) => writeFileSync(join(dir, 'fails'), String(n)),
    failed: () => { try { return execFileSync('cat', [join(dir, 'failed')], { encoding: 'utf8' }).trim().split('\n').length; } catch { return 0; } },
    remove: () => {
      process.env.PATH = path;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('lxc: firewall tables on the host', { skip: skipUnless(missing === null, missing ?? ''), concurrency: false }, () => {
  const provider = testProvider({}, DEP);
  const made: StackRef[] = [];

  after(async () => {
    for (const ref of made) await provider.delete(ref).catch(() => {});
    rmSync(home, { recursive: true, force: true });
    for (const dep of [DEP, OTHER]) dropDispatch(dep);
  });

  async function launch(n: number): Promise<{ ref: StackRef; short: string; ips: string[] }[]> {
    const refs = Array.from({ length: n }, (_, i) => ({ id: uniqueName(`nft${i}`, DEP), name: uniqueName(`nft${i}`, DEP) }));
    made.push(...refs);
    await Promise.all(refs.map((ref) => provider.create({ name: ref.name, deployment: DEP, template: labTemplate('single-server'), parameters: {}, timeoutSeconds: 120 })));
    for (const ref of refs) {
      const done = await waitFor(provider, ref, 'CREATE');
      assert.equal(done.status, 'COMPLETE', done.reason);
    }
    return refs.map((ref) => ({ ref, short: stackState(ref.name, home).shortId, ips: stackState(ref.name, home).plan.publicIps }));
  }

  test('four stacks add four base chains to the host, not four each; deleted side by side they leave none of their rules', async () => {
    const before = baseChains();
    const stacks = await launch(4);
    // Each stack had four base chains of its own, which every packet on the host walked (16 here).
    assert.equal(baseChains() - before, 4, 'base chains added by the first four stacks of a deployment');
    for (const family of ['bridge', 'inet']) assert.match(nftSync(['list', 'table', family, dispatchTable(DEP)]), new RegExp(`comment "${tableComment(DEP)}"`));
    for (const { short } of stacks) {
      assert.ok(!hasTable('inet', `sl${short}`) && !hasTable('bridge', `sl${short}`), 'no table of its own');
      assert.match(nftSync(['list', 'map', 'inet', dispatchTable(DEP), 'bridge_in']), new RegExp(`"sl${short}n0" : jump sl${short}_fwd`));
    }
    await Promise.all(stacks.map(({ ref }) => provider.delete(ref)));
    for (const { ref, short, ips } of stacks) assert.deepEqual(await leftovers(short, ref.name, ips, home), []);
  });

  test('an nft failure during delete is tried again; one that lasts fails the delete, and the tables are not dropped unseen', async () => {
    const [once, lasting] = await launch(2);
    const shim = nftShim();
    try {
      shim.fails(1);
      await provider.delete(once!.ref);
      assert.equal(shim.failed(), 1, 'the stand-in nft failed no delete');
      assert.deepEqual(await leftovers(once!.short, once!.ref.name, once!.ips, home), []);

      shim.fails(1000);
      await assert.rejects(provider.delete(lasting!.ref), (err: { code?: string; detail?: string }) => err.code === 'INTERNAL' && /could not remove the firewall tables of sl.* after 4 attempts/.test(String(err.detail)));
      const s = await provider.get(lasting!.ref);
      assert.equal(`${s?.action}_${s?.status}`, 'DELETE_FAILED', 'the stack is kept and says its delete failed');
      assert.match(nftSync(['list', 'table', 'inet', dispatchTable(DEP)]), new RegExp(`chain sl${lasting!.short}_judge`), 'the rules are still there, and known to a stack');
    } finally {
      shim.remove();
    }
    await provider.delete(lasting!.ref);
    assert.deepEqual(await leftovers(lasting!.short, lasting!.ref.name, lasting!.ips, home), []);
  });

  test("the reconcile removes this deployment's leftover tables only", async () => {
    const hex = () => randomBytes(3).toString('hex');
    const [orphan, othersOrphan, unmarked, live] = [hex(), hex(), hex(), hex()];
    const unrelated = `othertool${suffix}`;
    const table = (family: string, name: string, comment?: string) => `table ${family} ${name} {\n${comment ? `comment "${comment}"\n` : ''}chain c {\n}\n}\n`;
    nftSync(['-f', '-'], [
      table('bridge', `sl${orphan}`, tableComment(DEP)), table('inet', `sl${orphan}`, tableComment(DEP)),
      table('inet', `sl${othersOrphan}`, tableComment(OTHER)), table('inet', `sl${unmarked}`), table('inet', unrelated),
      table('inet', `sl${live}`, tableComment(DEP)),
    ].join(''));
    // A stack of this deployment holds `live` (its state file says so): its table is not a leftover.
    const liveName = uniqueName('live', DEP);
    mkdirSync(join(home, 'stacks'), { recursive: true });
    writeFileSync(join(home, 'stacks', `${liveName}.json`), JSON.stringify({ name: liveName, shortId: live, createdAt: new Date().toISOString(), action: 'CREATE', status: 'COMPLETE', reason: '', pid: process.pid, allowInternet: false, deployment: DEP }));
    try {
      const removed = await provider.reclaimLeftovers!();
      // (Leftovers of this deployment from elsewhere may go too: only these are this test's.)
      const ours = [orphan, othersOrphan, unmarked, live].map((s) => `sl${s}`);
      assert.deepEqual(removed.filter((t) => ours.includes(t.split(' ')[1]!)).sort(), [`bridge sl${orphan}`, `inet sl${orphan}`]);
      assert.ok(!hasTable('bridge', `sl${orphan}`) && !hasTable('inet', `sl${orphan}`));
      for (const name of [`sl${othersOrphan}`, `sl${unmarked}`, unrelated, `sl${live}`]) assert.ok(hasTable('inet', name), `${name} was removed`);
      assert.ok(!existsSync(join(LXC_DATA_DIR, 'reservations', 'id', orphan)), 'the short id held while its tables went is free again');
    } finally {
      rmSync(join(home, 'stacks', `${liveName}.json`), { force: true });
      nftSync(['-f', '-'], [orphan, othersOrphan, unmarked, live].flatMap((s) => ['bridge', 'inet'].map((f) => `table ${f} sl${s} {}\ndelete table ${f} sl${s}\n`)).join('') + `table inet ${unrelated} {}\ndelete table inet ${unrelated}\n`);
    }
  });

  test("the reconcile removes this deployment's leftover rules from its dispatch tables only", async () => {
    const hex = () => randomBytes(3).toString('hex');
    const [orphan, live, othersOrphan] = [hex(), hex(), hex()];
    // What a stack puts in the dispatch tables, in small: a chain of each family, reached from its interfaces, and a set.
    const stackText = (dep: string, short: string) => {
      const t = dispatchTable(dep);
      return [
        `add chain bridge ${t} sl${short}_out`, `add element bridge ${t} port_out { "sl${short}s0e0" : goto sl${short}_out }`,
        `add set inet ${t} sl${short}_g0 { type ipv4_addr; flags interval; }`,
        `add chain inet ${t} sl${short}_judge`, `add rule inet ${t} sl${short}_judge ip saddr @sl${short}_g0 return`,
        `add chain inet ${t} sl${short}_fwd`, `add rule inet ${t} sl${short}_fwd jump sl${short}_judge`,
        `add element inet ${t} bridge_in { "sl${short}n0" : jump sl${short}_fwd }`, `add element inet ${t} zone_in { "sl${short}n0" : 7 }`, '',
      ].join('\n');
    };
    nftSync(['-f', '-'], dispatchText(DEP) + stackText(DEP, orphan) + stackText(DEP, live) + dispatchText(OTHER) + stackText(OTHER, othersOrphan));
    const liveName = uniqueName('live', DEP);
    mkdirSync(join(home, 'stacks'), { recursive: true });
    writeFileSync(join(home, 'stacks', `${liveName}.json`), JSON.stringify({ name: liveName, shortId: live, createdAt: new Date().toISOString(), action: 'CREATE', status: 'COMPLETE', reason: '', pid: process.pid, allowInternet: false, deployment: DEP }));
    const listing = (dep: string) => ['bridge', 'inet'].map((f) => nftSync(['list', 'table', f, dispatchTable(dep)])).join('');
    try {
      const removed = await provider.reclaimLeftovers!();
      assert.deepEqual(removed.filter((t) => t.includes(orphan)).sort(), [`bridge ${dispatchTable(DEP)} sl${orphan}`, `inet ${dispatchTable(DEP)} sl${orphan}`]);
      assert.ok(!listing(DEP).includes(`sl${orphan}`), `the leftover's chains, set and elements are gone:\n${listing(DEP)}`);
      for (const kept of [`chain sl${live}_judge`, `"sl${live}n0" : jump sl${live}_fwd`]) assert.ok(listing(DEP).includes(kept), `a live stack's rules stay: ${kept}`);
      assert.match(listing(OTHER), new RegExp(`chain sl${othersOrphan}_fwd`), "another deployment's stay");
      assert.ok(!existsSync(join(LXC_DATA_DIR, 'reservations', 'id', orphan)), 'the short id held while its rules went is free again');
    } finally {
      rmSync(join(home, 'stacks', `${liveName}.json`), { force: true });
      await removeSecurityRules(`sl${live}`, DEP);
      dropDispatch(OTHER);
    }
  });
});
