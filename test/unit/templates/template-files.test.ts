/**
 * Files a template reads, found as python-heatclient finds them (relative names and file: URLs joined
 * onto the folder of the file that names them), never outside the lab folder; and the outputs a lab
 * needs. A temporary lab folder per test.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { PUBLIC_KEY_PARAMETER as LABS_CONSTANT, outputContractProblems } from '../../../src/labs/output-contract.ts';
import { templateFiles } from '../../../src/labs/template-files.ts';
import { validateLabTemplate } from '../../../src/labs/validate-lab.ts';
import { PUBLIC_KEY_PARAMETER } from '../../../src/services/platform-key-pair.ts';
import { parseTemplate } from '../../../src/templates/parse.ts';
import { formatProblem } from '../../../src/templates/problems.ts';

let lab = '';
const put = (name: string, text: string) => {
  mkdirSync(dirname(join(lab, name)), { recursive: true });
  writeFileSync(join(lab, name), text);
};
const T = 'heat_template_version: 2018-08-31\n';
const config = (name: string) => `${T}resources:\n  c:\n    type: OS::Heat::SoftwareConfig\n    properties:\n      config: {get_file: "${name}"}\n`;

beforeEach(() => {
  lab = join(mkdtempSync(join(tmpdir(), 'stacklab-validate-files-')), 'lab');
  mkdirSync(lab);
});
afterEach(() => rmSync(dirname(lab), { recursive: true, force: true }));

describe('template files from the lab folder', () => {
  test('relative names, file: URLs relative and absolute, and nested templates from their own folder', () => {
    put('scripts/a.sh', 'A');
    put('nested/web.yaml', config('web.sh'));
    put('nested/web.sh', 'W');
    const abs = pathToFileURL(join(lab, 'scripts/a.sh')).href;
    const text = `${T}resources:\n  a: {type: OS::Heat::SoftwareConfig, properties: {config: {get_file: scripts/a.sh}}}\n  b: {type: OS::Heat::SoftwareConfig, properties: {config: {get_file: "file:scripts/a.sh"}}}\n  c: {type: OS::Heat::SoftwareConfig, properties: {config: {get_file: "${abs}"}}}\n  w: {type: nested/web.yaml}\n`;
    const found = templateFiles(text, join(lab, 'template.yaml'), lab);
    assert.deepEqual(found.unreadable, {});
    assert.deepEqual(found.files, { 'scripts/a.sh': 'A', 'file:scripts/a.sh': 'A', [abs]: 'A', 'nested/web.yaml': config('web.sh') });
    assert.deepEqual(found.nested.map((n) => n.files.files), [{ 'web.sh': 'W' }]);
  });

  test("like heatclient: a ResourceGroup member's template type, and the environment's base_url", () => {
    put('members/server.yaml', `${T}resources: {}\n`);
    put('env/types/secret.yaml', `${T}resources: {}\n`);
    const text = `${T}resources:\n  g:\n    type: OS::Heat::ResourceGroup\n    properties: {resource_def: {type: members/server.yaml}}\n  s: {type: Lab::Secret}\n`;
    const env = { text: 'resource_registry:\n  base_url: types\n  "Lab::Secret": secret.yaml\n', path: join(lab, 'env/environment.yaml') };
    const found = templateFiles(text, join(lab, 'template.yaml'), lab, env);
    assert.deepEqual(found.unreadable, {});
    assert.deepEqual(Object.keys(found.files).sort(), ['members/server.yaml', 'secret.yaml']);
  });

  test('names that leave the lab folder are refused where they are used: .., absolute paths, links', () => {
    put('../outside.sh', 'secret');
    symlinkSync(join(lab, '../outside.sh'), join(lab, 'link.sh'));
    for (const name of ['../outside.sh', join(lab, '../outside.sh'), 'link.sh', 'file:///etc/passwd']) {
      put('template.yaml', config(name));
      const r = validateLabTemplate({ template: config(name), templateFile: join(lab, 'template.yaml'), root: lab, parameters: {} });
      assert.deepEqual(Object.keys(r.files), [], name);
      assert.equal(r.problems.length, 1, r.problems.map(formatProblem).join('\n'));
      const [p] = r.problems;
      assert.deepEqual([p!.line, p!.resource, p!.property], [6, 'c', 'config'], name);
      assert.match(p!.message, /outside the lab folder/, name);
    }
  });

  test('a missing file, and a nested template that nests itself, are refused with the reason', () => {
    const missing = validateLabTemplate({ template: config('nope.sh'), templateFile: join(lab, 't.yaml'), root: lab, parameters: {} }).problems;
    assert.match(formatProblem(missing[0]!), /t\.yaml:6: resource 'c', property 'config': get_file: the file "nope\.sh" was not found \(looked for nope\.sh\)/);
    put('loop.yaml', `${T}resources:\n  again: {type: loop.yaml}\n`);
    const loop = validateLabTemplate({ template: `${T}resources:\n  l: {type: loop.yaml}\n`, templateFile: join(lab, 't.yaml'), root: lab, parameters: {} }).problems;
    assert.match(loop.map(formatProblem).join('\n'), /loop\.yaml:3: resource 'again', property 'type': .*uses itself \(t\.yaml -> loop\.yaml -> loop\.yaml\)/);
  });

  test("a nested template's parameters are the resource's properties: unknown and required ones are refused", () => {
    put('secret.yaml', `${T}parameters:\n  length: {type: number}\nresources: {}\n`);
    const text = `${T}resources:\n  s: {type: secret.yaml, properties: {lenght: 3}}\n`;
    const r = validateLabTemplate({ template: text, templateFile: join(lab, 't.yaml'), root: lab, parameters: {} });
    assert.deepEqual(r.problems.map((p) => `${p.property}: ${p.message}`), ['lenght: Unknown Property lenght. Did you mean length?', 'length: Property length not assigned']);
  });
});

describe('the outputs a lab needs', () => {
  const outputs = (...names: string[]) => parseTemplate(`${T}${names.length ? `outputs:\n${names.map((n) => `  ${n}: {value: x}\n`).join('')}` : ''}`);
  test('public_ip always; a login for ssh and vnc; a password for rdp', () => {
    assert.deepEqual(outputContractProblems({ protocol: 'ssh' }, outputs('public_ip', 'private_key'), 't'), []);
    assert.deepEqual(outputContractProblems({ protocol: 'vnc' }, outputs('public_ip', 'password'), 't'), []);
    assert.deepEqual(outputContractProblems({ protocol: 'ssh' }, outputs('private_key'), 't').map((p) => p.output), ['public_ip']);
    assert.deepEqual(outputContractProblems({ protocol: 'ssh' }, outputs('public_ip'), 't').map((p) => p.output), ['private_key']);
    assert.deepEqual(outputContractProblems({ protocol: 'rdp' }, outputs('public_ip', 'private_key'), 't').map((p) => p.output), ['password']);
    const platformKey = parseTemplate(`${T}parameters:\n  ${PUBLIC_KEY_PARAMETER}: {type: string}\noutputs:\n  public_ip: {value: x}\n`);
    assert.deepEqual(outputContractProblems({ protocol: 'ssh' }, platformKey, 't'), []);
    assert.equal(LABS_CONSTANT, PUBLIC_KEY_PARAMETER);
  });
});
