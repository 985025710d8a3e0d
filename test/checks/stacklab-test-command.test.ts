/** `stacklab test` end to end, as an author runs it, on real stacks of the local runtime. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipUnless } from '../support/prerequisite.ts';
import { LXC_DATA_DIR, REPO, lxcMissing } from '../lxc/support.ts';

const missing = await lxcMissing();

function stacklabTest(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO, 'bin/stacklab.js'), 'test', ...args], {
      cwd: REPO,
      env: { PATH: process.env.PATH, STACKLAB_PROVIDERS: JSON.stringify([{ name: 'local', kind: 'lxc', data_dir: LXC_DATA_DIR }]) },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Sample labs that define checks and a solution: `stacklab test` must pass on each. */
const sampleLabs = readdirSync(join(REPO, 'labs')).filter((d) => existsSync(join(REPO, 'labs', d, 'lab.yaml')) && d !== 'desktop');

describe('stacklab test <lab>', { skip: skipUnless(missing === null, missing ?? '') }, () => {
  for (const lab of sampleLabs) {
    test(`passes on the sample lab ${lab}, with timings, and deletes its stack`, async () => {
      const result = await stacklabTest([join('labs', lab)]);
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      assert.match(result.stdout, /PASS in \d+\.\d s/);
      assert.match(result.stdout, /✓ delete\s+\d+\.\d\d s/);
      if (lab === 'checks-demo') {
        assert.match(result.stdout, /✓ checks after the solution\s+\d+\.\d\d s\s+3\/3 passed/);
        assert.match(result.stdout, /✓ checks after resume\s+\d+\.\d\d s\s+3\/3 passed/);
      }
    });
  }

  test('fails (exit 1) on a lab whose solution is wrong, names the failing check with its hint, and still deletes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stacklab-wrong-'));
    const lab = join(dir, 'wrong-solution');
    try {
      cpSync(join(REPO, 'labs', 'checks-demo'), lab, { recursive: true });
      // Forgets the third step (the motd), as a hurried author might.
      writeFileSync(join(lab, 'solution.sh'), '#!/bin/sh\nset -e\nmkdir -p ~/notes ~/bin\necho hello > ~/notes/hello.txt\nprintf \'#!/bin/sh\\necho "Hello, $1!"\\n\' > ~/bin/greet\nchmod +x ~/bin/greet\n');
      const result = await stacklabTest([lab, '--json']);
      assert.equal(result.code, 1, result.stderr);
      const report = JSON.parse(result.stdout) as { ok: boolean; steps: { name: string; ok: boolean; detail?: string }[] };
      assert.equal(report.ok, false);
      const failed = report.steps.filter((s) => !s.ok);
      assert.deepEqual(
        failed.map((s) => s.name),
        ['checks after the solution'],
      );
      assert.match(failed[0].detail ?? '', /2\/3 passed; failing: 'The message of the day': Add a line 'Lab complete' to \/etc\/motd/);
      assert.deepEqual(report.steps.at(-1), { ...report.steps.at(-1), name: 'delete', ok: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('refuses a lab with checks but no solution, without launching anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stacklab-nosolution-'));
    const lab = join(dir, 'no-solution');
    try {
      cpSync(join(REPO, 'labs', 'checks-demo'), lab, { recursive: true });
      writeFileSync(join(lab, 'lab.yaml'), (await import('node:fs')).readFileSync(join(lab, 'lab.yaml'), 'utf8').replace(/^solution: .*\n/m, ''));
      const result = await stacklabTest([lab]);
      assert.equal(result.code, 1);
      assert.match(result.stdout, /✗ solution present.*no 'solution' script/);
      assert.doesNotMatch(result.stdout, /launch/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
