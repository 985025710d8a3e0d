/**
 * The corpus of real-style labs (test/fixtures/templates/corpus) through `stacklab validate`'s own
 * path (lab loading, files from the lab folder, schemas, output contract): each accepted, or refused
 * naming file, line, resource or output, property and reason. The same corpus is checked against a
 * real Heat in test/openstack/template-corpus-agreement.test.ts.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { validateLabTemplate } from '../../../src/labs/validate-lab.ts';
import { formatProblem } from '../../../src/templates/problems.ts';
import { CORPUS, CORPUS_DIR, validateCorpusLab } from '../../fixtures/templates/corpus/expected.ts';

describe('the template corpus through stacklab validate', () => {
  for (const c of CORPUS) {
    test(`${c.lab}: ${c.refuse ? 'refused, naming the culprit' : 'accepted'}`, () => {
      const { problems, templateFile } = validateCorpusLab(c.lab);
      const shown = problems.map(formatProblem).join('\n');
      if (!c.refuse) return assert.deepEqual(problems, [], shown);
      const r = c.refuse;
      const p = problems.find((q) => r.message.test(q.message));
      assert.ok(p, `expected a problem matching ${r.message}, got:\n${shown}`);
      assert.equal(p.file, templateFile);
      assert.equal(p.line, r.line, shown);
      assert.equal(p.resource, r.resource);
      assert.equal(p.output, r.output);
      if (r.property) assert.equal(p.property, r.property);
    });
  }

  test('the files a lab reads and the templates it nests are sent along, by the names the templates use', () => {
    assert.deepEqual(Object.keys(validateCorpusLab('software-config').files), ['scripts/install.sh']);
    assert.deepEqual(Object.keys(validateCorpusLab('nested-secret').files).sort(), ['./secret.yaml', 'secret.yaml']);
  });

  test('a type without a known schema is accepted with a note', () => {
    const text = 'heat_template_version: 2018-08-31\nresources:\n  v: {type: "Vendor::Thing", properties: {anything: 1}}\noutputs:\n  public_ip: {value: 1}\n  password: {value: 2}\n';
    const env = 'resource_registry:\n  "Vendor::Thing": "Vendor::Thing"\n';
    const r = validateLabTemplate({ template: text, templateFile: join(CORPUS_DIR, 'x.yaml'), root: CORPUS_DIR, environment: env, parameters: {}, lab: { protocol: 'ssh' } });
    assert.deepEqual(r.problems, []);
    assert.match(r.notes.map(formatProblem).join('\n'), /x\.yaml:3: resource 'v', property 'type': no property schema is known for Vendor::Thing/);
  });
});
