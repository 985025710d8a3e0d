/**
 * The template corpus (test/fixtures/templates/corpus) launched on the local runtime: every lab the
 * runtime claims to run (no `refuse` in expected.ts, and accepted by `stacklab validate --provider
 * lxc`'s own check) is created, waited for, its outputs read, one fact checked from inside or through
 * its servers, and deleted leaving nothing on the host. The labs it does not launch are computed from
 * the same checks and must be exactly those listed in NOT_LAUNCHED, each for the reason given there,
 * so a lab the runtime starts (or stops) claiming to run shows up here.
 * The labs are launched concurrently (one test each), as a class of learners would launch them.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { ProviderStack } from '../../src/providers/provider.ts';
import { validateForLxc } from '../../src/providers/lxc/template-loader.ts';
import { CORPUS, validateCorpusLab } from '../fixtures/templates/corpus/expected.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { dispatchTable } from '../../src/providers/lxc/nft-dispatch.ts';
import { LXC_HOME, LXC_TEST_DEPLOYMENT, leftovers, lxcMissing, stackState, tcpConnects, testProvider, uniqueName, waitFor } from './support.ts';

const run = promisify(execFile);

/** What the local runtime says about a corpus lab: null when it claims to run it, else why not. */
function lxcRefusal(lab: string): string | null {
  const v = validateCorpusLab(lab);
  if (v.problems.length) return `stacklab validate refuses it: ${v.problems[0]!.message}`;
  const lxc = validateForLxc(v.lab.template, { file: v.templateFile, environment: v.lab.environment, parameters: v.lab.parameters, files: v.files, ignoreUnknownParameters: true });
  return lxc.length ? `the local runtime refuses it: ${lxc.map((p) => p.message).join('; ')}` : null;
}

/**
 * The corpus labs not launched, and why (the computed refusal must match). The refused ones are
 * expected.ts's `refuse` cases; the others are real Heat labs using what the local runtime does not run.
 */
const NOT_LAUNCHED: Record<string, RegExp> = {
  // A server without `networks` gets Nova's default network on a cloud; the local runtime has none.
  'software-config': /a server needs at least one entry in networks/,
  // Nested templates (as a type and through resource_registry) and OS::Heat::Value.
  'nested-secret': /type \.\/secret\.yaml is not supported.*type Lab::Secret \(mapped to secret\.yaml by the environment\) is not supported.*type OS::Heat::Value is not supported/,
  // Autoscaling and alarms are cloud services (Heat's engine, Aodh).
  'ceilometer-alarm': /type OS::Heat::AutoScalingGroup is not supported.*type OS::Heat::ScalingPolicy is not supported.*type OS::Ceilometer::Alarm \(mapped to OS::Aodh::Alarm by the environment\) is not supported/,
  // Its members join the cloud's pre-existing network `private`, which a local lab does not have.
  'resource-group': /network "private" is not a network of this template nor an external network/,
  ...Object.fromEntries(CORPUS.filter((c) => c.refuse).map((c) => [c.lab, /^stacklab validate refuses it: /])),
};

type Exec = (server: string, cmd: string) => Promise<string>;

/** One fact per launched lab, from its outputs and from inside or through its servers. */
const FACTS: Record<string, (stack: ProviderStack, inServer: Exec) => Promise<void>> = {
  'router-lab': async (stack, inServer) => {
    // The jump host is reached through its floating IP, the router's DNAT and the front network.
    assert.ok(await tcpConnects(stack.outputs.public_ip as string, 22), `ssh on ${stack.outputs.public_ip as string} does not answer`);
    assert.match(await inServer('jump', 'ip -4 -o addr show'), /inet 192\.168\.10\.\d+\//);
    assert.match(await inServer('backend', 'ip -4 -o addr show'), /inet 192\.168\.20\.\d+\//);
  },
  'security-group': async (stack) => {
    const state = stackState(stack.name);
    // SSH is one of the group's rules; the group is enforced by the stack's chains in its deployment's dispatch table.
    assert.ok(await tcpConnects(stack.outputs.public_ip as string, 22), `ssh on ${stack.outputs.public_ip as string} does not answer`);
    const { stdout } = await run('nft', ['list', 'table', 'inet', dispatchTable(LXC_TEST_DEPLOYMENT)]);
    assert.ok(stdout.includes(`chain sl${state.shortId}_judge`), `no nftables chain for the stack's security group:\n${stdout}`);
  },
  'software-deployment': async (stack, inServer) => {
    assert.match(stack.outputs.result as string, /^The file \/tmp\/baaaaa contains fooooo for server \S+ during CREATE$/);
    assert.equal(stack.outputs.stdout, 'Writing to /tmp/baaaaa\nWritten to /tmp/baaaaa\n');
    assert.match(stack.outputs.stderr as string, /Output to stderr/);
    assert.equal(stack.outputs.status_code, 0);
    assert.equal(await inServer('server', 'cat /tmp/baaaaa'), 'fooooo\n');
  },
};

const missing = await lxcMissing();
const verdicts = CORPUS.map((c) => ({ lab: c.lab, refusal: lxcRefusal(c.lab) }));
const launched = verdicts.filter((v) => v.refusal === null).map((v) => v.lab);

describe('the template corpus: what the local runtime claims to run', () => {
  test('the labs not launched are exactly those listed, each refused for the reason given', () => {
    const refused = Object.fromEntries(verdicts.filter((v) => v.refusal !== null).map((v) => [v.lab, v.refusal!]));
    assert.deepEqual(Object.keys(refused).sort(), Object.keys(NOT_LAUNCHED).sort());
    for (const [lab, why] of Object.entries(refused)) assert.match(why, NOT_LAUNCHED[lab]!, lab);
    assert.ok(launched.length >= 3, `only ${launched.join(', ')} launched`);
  });
});

describe('the template corpus launched on the local runtime', { skip: skipUnless(missing === null, missing ?? ''), concurrency: true }, () => {
  const provider = testProvider();
  const names = new Map(launched.map((lab) => [lab, uniqueName(`c${lab.replace(/[^a-z]/g, '').slice(0, 6)}`)]));

  after(async () => {
    for (const name of names.values()) await provider.delete({ id: name, name }).catch(() => {});
  });

  for (const lab of launched) {
    test(`${lab}: launched, its outputs there, checked from its servers, deleted leaving nothing`, { timeout: 120_000 }, async () => {
      const fact = FACTS[lab];
      assert.ok(fact, `add a fact for ${lab} to FACTS`);
      const v = validateCorpusLab(lab);
      const name = names.get(lab)!;
      const ref = { id: name, name };
      await provider.create({ name, template: v.lab.template, environment: v.lab.environment, files: v.files, parameters: {}, timeoutSeconds: 100 });
      const stack = await waitFor(provider, ref, 'CREATE', 105_000);
      assert.equal(stack.status, 'COMPLETE', stack.reason);
      const state = stackState(name);
      // Every output the template declares has a value (the lab's contract and the author's own).
      for (const [key, value] of Object.entries(stack.outputs)) assert.ok(value !== null && value !== undefined && value !== '', `output ${key} is empty`);
      assert.match(stack.outputs.public_ip as string, /^\d+\.\d+\.\d+\.\d+$/);
      if ('private_key' in stack.outputs) assert.match(stack.outputs.private_key as string, /^-----BEGIN /);
      const inServer: Exec = async (server, cmd) => {
        const s = state.plan.servers.find((x) => x.resource === server);
        assert.ok(s, `no server ${server} in ${state.plan.servers.map((x) => x.resource).join(', ')}`);
        return (await run('lxc-attach', ['-P', join(LXC_HOME, 'containers'), '-n', s.container, '--', '/bin/sh', '-c', cmd], { encoding: 'utf8' })).stdout;
      };
      await fact(stack, inServer);
      await provider.delete(ref);
      assert.equal(await provider.get(ref), null);
      assert.deepEqual(await leftovers(state.shortId, name, state.plan.publicIps), []);
    });
  }
});
