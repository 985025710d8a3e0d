/**
 * The template corpus (test/fixtures/templates/corpus) against the real Heat (scripts/setup-heat.sh,
 * with Nova/Neutron/Glance from scripts/setup-openstack.sh, so the servers' images and flavors are
 * real): stacklab accepts what Heat accepts and refuses what Heat refuses, both naming the culprit.
 * The files each lab reads (get_file, nested templates) go to Heat as python-heatclient sends them.
 *
 * Heat's /validate checks property names only; required properties, types and allowed values Heat
 * checks when the stack is created, before it builds anything, so those cases are created (and any
 * stack Heat made anyway is deleted, and the test fails).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createOpenStackProvider, type OpenStackProvider } from '../../src/providers/openstack/provider.ts';
import { ProviderError, type StackRef } from '../../src/providers/provider.ts';
import { formatProblem } from '../../src/templates/problems.ts';
import { validateTemplate } from '../../src/templates/validate.ts';
import { CORPUS, validateCorpusLab } from '../fixtures/templates/corpus/expected.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { demoOptions, uniqueStackName } from './heat-env.ts';
import { NOVA_MISSING, ensureNova } from './nova-env.ts';
import { deleteAndWait } from './wait-stack.ts';

const env = await ensureNova();

describe('the template corpus: stacklab validate agrees with a real Heat', { skip: skipUnless(env !== null, NOVA_MISSING), concurrency: false, timeout: 600_000 }, () => {
  let os: OpenStackProvider;
  const made: StackRef[] = [];

  before(() => {
    os = createOpenStackProvider('openstack', demoOptions(env!, { request_timeout_seconds: 60 }));
  });

  after(async () => {
    for (const ref of made) await deleteAndWait(os, ref, 120_000);
    await os?.close?.();
  });

  /** Heat's verdict at create: its refusal, or undefined when it created the stack (remembered for deletion). */
  async function heatCreate(req: { template: string; environment?: string; files: Record<string, string> }): Promise<string | undefined> {
    try {
      made.push(await os.create({ name: uniqueStackName('corpus'), ...req, parameters: {}, timeoutSeconds: 300 }));
      return undefined;
    } catch (error) {
      if (error instanceof ProviderError && error.code === 'TEMPLATE_INVALID') return `${error.userMessage} ${error.detail}`;
      throw error;
    }
  }

  // Each schema rule on its own: Heat's create refuses with the same words at the same property.
  const T = 'heat_template_version: 2018-08-31\nresources:\n';
  const RULES: Record<string, string> = {
    'a boolean as text other than true/false': `${T}  n: {type: OS::Neutron::Net, properties: {admin_state_up: "Yes"}}\n`,
    'a fraction where text belongs': `${T}  n: {type: OS::Neutron::Net, properties: {name: 1.5}}\n`,
    'a number below its range': `${T}  r: {type: OS::Heat::RandomString, properties: {length: 0}}\n`,
    'a value outside the allowed ones, in a list item': `${T}  r: {type: OS::Heat::RandomString, properties: {character_classes: [{class: emoji}]}}\n`,
    'a list with an item outside the allowed ones': `${T}  d: {type: OS::Heat::SoftwareDeployment, properties: {server: s, actions: [SUSPEND, REBOOT]}}\n`,
    'a required key missing in a list item': `${T}  n: {type: OS::Neutron::Net}\n  s: {type: OS::Neutron::Subnet, properties: {network: {get_resource: n}, cidr: 10.0.0.0/24, allocation_pools: [{start: 10.0.0.2}]}}\n`,
  };
  for (const [rule, template] of Object.entries(RULES)) {
    test(`schema rule: ${rule}: refused by both, in the same words`, async () => {
      const ours = validateTemplate(template);
      assert.equal(ours.length, 1, ours.map(formatProblem).join('\n'));
      const atCreate = await heatCreate({ template, files: {} });
      assert.ok(atCreate !== undefined, 'Heat created the stack: it accepts what stacklab refuses');
      assert.ok(atCreate.includes(ours[0]!.message), `Heat says: ${atCreate}\nwe say: ${formatProblem(ours[0]!)}`);
      // For a key missing from a map, Heat names the map.
      const missing = / not assigned$/.test(ours[0]!.message);
      const heatPath = `resources.${ours[0]!.resource}.properties.${ours[0]!.property}`.replace(missing ? /\.\w+$/ : /$^/, '');
      assert.ok(atCreate.includes(heatPath), `Heat names ${atCreate}, we name ${heatPath}`);
    });
  }

  test("a deployment to a server whose user_data_format is not SOFTWARE_CONFIG: refused by both, in the same words (Heat's SoftwareDeployment.validate)", async () => {
    const template = `${T}  s: {type: OS::Nova::Server, properties: {image: debian-12, flavor: m1.tiny, user_data_format: RAW}}\n  d: {type: OS::Heat::SoftwareDeployment, properties: {server: {get_resource: s}}}\n`;
    const ours = validateTemplate(template);
    assert.equal(ours.length, 1, ours.map(formatProblem).join('\n'));
    assert.equal(ours[0]!.resource, 'd');
    const atCreate = await heatCreate({ template, files: {} });
    assert.ok(atCreate !== undefined, 'Heat created the stack: it accepts what stacklab refuses');
    assert.ok(atCreate.includes(ours[0]!.message), `Heat says: ${atCreate}\nwe say: ${formatProblem(ours[0]!)}`);
  });

  for (const c of CORPUS) {
    test(`${c.lab}: Heat ${c.heat === 'never' ? 'accepts what only the lab cannot use' : c.refuse ? 'refuses too' : 'accepts too'}`, async () => {
      const ours = validateCorpusLab(c.lab);
      const req = { template: ours.lab.template, environment: ours.lab.environment, files: ours.files };
      const said = ours.problems.map(formatProblem).join('\n');
      const theirs = (await os.validate!({ ...req, parameters: {} })).join('\n');
      if (c.heat === 'no-service') {
        // Heat knows the type (after its default registry's mapping) but this cloud has no Aodh.
        assert.match(theirs, /Service aodh is not available for resource type OS::Ceilometer::Alarm/);
        return assert.equal(ours.problems.length, 0, said);
      }
      if (!c.refuse) {
        assert.equal(theirs, '', `Heat refuses: ${theirs}`);
        return assert.equal(ours.problems.length, 0, said);
      }
      assert.ok(ours.problems.length > 0, `stacklab accepts what ${c.heat === 'never' ? 'the lab cannot use' : 'Heat refuses'}`);
      if (c.heat === 'never') return assert.equal(theirs, '', `Heat refuses: ${theirs}`);
      if (c.heat === 'validate') return assert.match(theirs, c.refuse.heat!, `Heat says: ${theirs}\nwe say: ${said}`);
      assert.equal(theirs, '', `Heat's /validate refuses already (the corpus says create): ${theirs}`);
      const atCreate = await heatCreate(req);
      assert.ok(atCreate !== undefined, 'Heat created the stack: it accepts what stacklab refuses');
      assert.match(atCreate, c.refuse.heat!, `Heat says: ${atCreate}\nwe say: ${said}`);
    });
  }
});
