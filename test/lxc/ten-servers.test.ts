/**
 * The ten-server sample lab on real containers: it launches, the jump host takes an SSH login with
 * the stack's key (ssh2, as the gateway does), the user reaches every other server by name from
 * it, every server reaches every other across both routers, and delete leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { skipUnless } from '../support/prerequisite.ts';
import { sshExec, waitForLogin } from './ssh.ts';
import { labTemplate, leftovers, lxcMissing, stackState, testProvider, uniqueName, waitFor } from './support.ts';

const missing = await lxcMissing();
const NAMES = ['jump', 'web1', 'web2', 'app1', 'app2', 'app3', 'db1', 'db2', 'db3', 'backup'];

describe('lxc: ten-server lab', { skip: skipUnless(missing === null, missing ?? ''), concurrency: false }, () => {
  const provider = testProvider();
  const ref = { id: uniqueName('ten'), name: '' };
  ref.name = ref.id;
  let target: { host: string; username: string; privateKey: string };
  let state: ReturnType<typeof stackState> | undefined;

  after(async () => {
    await provider.delete(ref).catch(() => {});
  });

  test('launches and the jump host takes an SSH login with the stack key', async () => {
    const started = Date.now();
    await provider.create({ name: ref.name, template: labTemplate('ten-servers'), parameters: {}, timeoutSeconds: 300 });
    const done = await waitFor(provider, ref, 'CREATE', 100_000);
    assert.equal(done.status, 'COMPLETE', done.reason);
    state = stackState(ref.name);
    assert.equal(state.plan.servers.length, 10);
    target = { host: String(done.outputs.public_ip), username: 'training', privateKey: String(done.outputs.private_key) };
    await waitForLogin(target, 60_000);
    console.error(`# ten-server lab: launch to SSH login ${Date.now() - started} ms`);
    const who = await sshExec(target, 'hostname; id -un; sudo -n true && echo sudo-ok');
    assert.deepEqual(who.stdout.trim().split('\n'), ['jump', 'training', 'sudo-ok']);
  });

  test('from the jump host the user reaches every other server by name with ssh', async () => {
    const others = NAMES.filter((n) => n !== 'jump');
    const r = await sshExec(target, `for h in ${others.join(' ')}; do ssh -o BatchMode=yes -o ConnectTimeout=5 $h hostname || echo "FAILED $h"; done`, 90_000);
    assert.deepEqual(r.stdout.trim().split('\n'), others, r.stderr);
  });

  test('every server reaches every other across the routers', async () => {
    // Each server pings all ten by name; the jump host fans the checks out over ssh.
    const pingAll = `for t in ${NAMES.join(' ')}; do ping -c1 -W2 $t >/dev/null 2>&1 && echo "$(hostname)->$t ok" || echo "$(hostname)->$t FAIL"; done`;
    const r = await sshExec(target, `${pingAll}; for h in ${NAMES.slice(1).join(' ')}; do ssh -o BatchMode=yes $h '${pingAll}'; done`, 100_000);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 100, r.stdout + r.stderr);
    assert.deepEqual(lines.filter((l) => !l.endsWith(' ok')), []);
    // Traffic between the front and back networks really crosses both routers.
    const trace = await sshExec(target, 'ssh -o BatchMode=yes db1 "ip route get $(getent hosts jump | cut -d\\  -f1)"');
    assert.match(trace.stdout, /via 10\.0\.3\.1/);
  });

  test('delete leaves no container, link, namespace, mount, cgroup, rule or reservation', async () => {
    assert.ok(state);
    await provider.delete(ref);
    assert.equal(await provider.get(ref), null);
    assert.deepEqual(await leftovers(state.shortId, ref.name, state.plan.publicIps), []);
    await provider.delete(ref); // idempotent
  });
});
