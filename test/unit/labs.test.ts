import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadLab, loadLabs, LabError } from '../../src/labs/load-labs.ts';

const TEMPLATE = 'heat_template_version: 2016-10-14\nresources: {}\n';

function labDir(files: Record<string, string>, id = 'my-lab'): string {
  const root = mkdtempSync(join(tmpdir(), 'labs-'));
  const dir = join(root, id);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

test('the sample labs all load', () => {
  const { labs, errors } = loadLabs('labs', { defaultProviders: ['local'] });
  assert.deepEqual(errors.map((e) => e.message), []);
  assert.ok(labs.has('single-server') && labs.has('ten-servers'));
  const ten = labs.get('ten-servers')!;
  assert.equal(ten.user, 'training');
  assert.deepEqual(ten.providers.map((p) => p.name), ['local']);
});

test('defaults are hastexo\'s, and files are read from the lab folder', () => {
  const lab = loadLab(labDir({ 'lab.yaml': 'title: T\nchecks:\n  - script: c.sh\n', 'template.yaml': TEMPLATE, 'c.sh': '#!/bin/sh\ntrue\n' }), { defaultProviders: ['a', 'b'] });
  assert.equal(lab.protocol, 'ssh');
  assert.equal(lab.port, 22);
  assert.deepEqual(lab.timeouts, { launch: 900, suspend: 120, deleteAge: 1209600, check: 120, remoteExec: 300 });
  assert.equal(lab.checks[0]!.script, '#!/bin/sh\ntrue\n');
  assert.deepEqual(lab.providers.map((p) => [p.name, p.capacity]), [['a', -1], ['b', -1]]);
});

function problemsOf(files: Record<string, string>): string[] {
  try {
    loadLab(labDir(files), { defaultProviders: ['local'] });
  } catch (error) {
    assert.ok(error instanceof LabError);
    assert.match(error.file, /lab\.yaml$/);
    return error.problems;
  }
  assert.fail('the lab loaded');
}

test('errors name the file, the field and the reason', () => {
  assert.match(problemsOf({ 'lab.yaml': 'title: T\nprotocol: telnet\n', 'template.yaml': TEMPLATE }).join(), /field 'protocol'/);
  assert.match(problemsOf({ 'lab.yaml': 'title: T\ncolour: red\n', 'template.yaml': TEMPLATE }).join(), /colour/);
  assert.match(problemsOf({ 'lab.yaml': 'title: T\n' }).join(), /field 'template': file 'template.yaml' not found/);
  assert.match(problemsOf({ 'lab.yaml': 'title: T\nchecks: [{script: "echo hi"}]\n', 'template.yaml': TEMPLATE }).join(), /checks\.0\.script/);
  assert.match(problemsOf({ 'lab.yaml': 'title: T\nchecks: [{script: c.sh}]\n', 'template.yaml': TEMPLATE, 'c.sh': 'true\n' }).join(), /shebang/);
  assert.match(problemsOf({ 'lab.yaml': 'title: T\ntemplate: ../../etc/passwd\n', 'template.yaml': TEMPLATE }).join(), /outside the lab folder/);
  assert.match(problemsOf({ 'lab.yaml': 'title: T\nhook_events: [suspend]\n', 'template.yaml': TEMPLATE }).join(), /hook_script/);
  assert.match(problemsOf({ 'lab.yaml': 'title: [unclosed\n', 'template.yaml': TEMPLATE }).join(), /not valid YAML/);
});

test('a broken lab is reported and the others still load', () => {
  const good = labDir({ 'lab.yaml': 'title: Good\n', 'template.yaml': TEMPLATE }, 'good');
  const root = join(good, '..');
  mkdirSync(join(root, 'bad'));
  writeFileSync(join(root, 'bad', 'lab.yaml'), 'title: Bad\nprotocol: x\n');
  const { labs, errors } = loadLabs(root, { defaultProviders: ['local'] });
  assert.deepEqual([...labs.keys()], ['good']);
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.file, /bad\/lab\.yaml$/);
});

test('a pool: one per lab, or one per listed course run when the template takes `run`; a personalization script is read from the folder', () => {
  const RUN_TEMPLATE = 'heat_template_version: 2016-10-14\nparameters:\n  run: { type: string, default: x }\nresources: {}\n';
  const plain = loadLab(labDir({ 'lab.yaml': 'title: T\npool: { size: 3 }\n', 'template.yaml': TEMPLATE }), { defaultProviders: ['a'] });
  assert.deepEqual(plain.pool, { size: 3, state: 'suspended', perRun: false, runs: [] });
  const perRun = loadLab(
    labDir({ 'lab.yaml': 'title: T\npool: { size: 2, state: running, runs: [r1, r2], personalize: p.sh }\n', 'template.yaml': RUN_TEMPLATE, 'p.sh': '#!/bin/sh\ntrue\n' }),
    { defaultProviders: ['a'] },
  );
  assert.deepEqual(perRun.pool, { size: 2, state: 'running', perRun: true, runs: ['r1', 'r2'], personalize: '#!/bin/sh\ntrue\n' });
  assert.equal(loadLab(labDir({ 'lab.yaml': 'title: T\n', 'template.yaml': TEMPLATE }), { defaultProviders: ['a'] }).pool, undefined, 'no setting, no pool');
  assert.deepEqual(problemsOf({ 'lab.yaml': 'title: T\npool: { size: 2 }\n', 'template.yaml': RUN_TEMPLATE }), [
    "field 'pool.runs': the template takes the 'run' parameter, so list the course runs to keep a pool for",
  ]);
  assert.deepEqual(problemsOf({ 'lab.yaml': 'title: T\npool: { size: 2, runs: [r1] }\n', 'template.yaml': TEMPLATE }), [
    "field 'pool.runs': the template does not take the 'run' parameter; one pool serves every course run, leave 'runs' out",
  ]);
  assert.equal(problemsOf({ 'lab.yaml': 'title: T\npool: { size: -1 }\n', 'template.yaml': TEMPLATE }).length, 1);
  assert.equal(problemsOf({ 'lab.yaml': 'title: T\npool: { size: 1, state: warm }\n', 'template.yaml': TEMPLATE }).length, 1);
});
