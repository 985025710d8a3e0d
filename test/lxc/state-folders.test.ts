/**
 * A lab's root is an unprivileged host uid (100000...) that must pass through every folder down to its
 * container's directory; the stacks' state files stay the owner's. A per-deployment home created with
 * mode 0700 at every level made every unprivileged container abort at start.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { StateStore } from '../../src/providers/lxc/state.ts';

describe('the local runtime state folders', () => {
  it('let others pass down to the containers, and keep the stacks folder private', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lxc-state-'));
    try {
      const store = new StateStore(dataDir, join(dataDir, 'deployments', 'alpha'));
      await store.init();
      const mode = (path: string) => statSync(path).mode & 0o777;
      for (const folder of [dataDir, join(dataDir, 'deployments'), join(dataDir, 'deployments', 'alpha')]) {
        assert.equal(mode(folder) & 0o001, 0o001, `${folder} is ${mode(folder).toString(8)}: others cannot pass`);
        assert.equal(mode(folder) & 0o004, 0, `${folder} became listable by others`);
      }
      assert.equal(mode(store.stacksDir), 0o700);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
