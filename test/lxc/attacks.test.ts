/**
 * What a learner's root tries against the host, on a real lab (docs/security.md, "The local
 * runtime"). The learner logs in as the lab user, becomes root with the sample labs' passwordless
 * sudo, and tries each attack; every attempt must be refused. Each test first shows from the host
 * that the target is real (the disk exists, the host connects to its own services, the syscall
 * means something on the host), so a runtime that let the attack through would fail the test.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { initPid } from '../../src/providers/lxc/containers.ts';
import { ensureIdRange } from '../../src/providers/lxc/idmap.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { sshExec, waitForLogin, type SshTarget } from './ssh.ts';
import { labTemplate, lxcMissing, LXC_HOME, stackState, tcpConnects, testProvider, uniqueName, waitFor } from './support.ts';

const missing = await lxcMissing();
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs a shell snippet as root in the lab, the way a learner would: sudo from the lab user. */
async function asRoot(lab: SshTarget, script: string, timeoutMs = 60_000): Promise<string> {
  const r = await sshExec(lab, `sudo -n sh -c ${sq(script)}`, timeoutMs);
  return r.stdout + r.stderr;
}

/** A shell line printing `<label> DONE` when the command succeeds and `<label> REFUSED` otherwise. */
const attempt = (label: string, cmd: string) => `if ( ${cmd} ) >/dev/null 2>&1; then echo "${label} DONE"; else echo "${label} REFUSED"; fi`;

function hostAddresses(): string[] {
  const out: string[] = [];
  for (const [name, addrs] of Object.entries(networkInterfaces()))
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal && !name.startsWith('sl')) out.push(a.address);
  return out;
}

/** The host's own root block device, as major:minor. */
function hostRootDevice(): { path: string; major: number; minor: number } {
  const line = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === '/')!;
  const [major, minor] = line.split(' ')[2].split(':').map(Number);
  const path = line.split(' - ')[1].split(' ')[1];
  return { path, major, minor };
}

describe('lxc: a learner\'s root stays inside the lab', { skip: skipUnless(missing === null, missing ?? ''), concurrency: false, timeout: 600_000 }, () => {
  const provider = testProvider();
  const attacker = { id: uniqueName('atk'), name: '' };
  const victim = { id: uniqueName('vic'), name: '' };
  attacker.name = attacker.id;
  victim.name = victim.id;
  let lab: SshTarget;
  let other: SshTarget;
  let container = '';
  let pid = 0;
  const tiny = { flavor: 'm1.tiny' }; // 512 MiB, 1024 processes

  before(async () => {
    await Promise.all([
      provider.create({ name: attacker.name, template: labTemplate('single-server'), parameters: tiny, timeoutSeconds: 180 }),
      provider.create({ name: victim.name, template: labTemplate('single-server'), parameters: tiny, timeoutSeconds: 180 }),
    ]);
    const [a, v] = await Promise.all([waitFor(provider, attacker, 'CREATE', 180_000), waitFor(provider, victim, 'CREATE', 180_000)]);
    assert.equal(a.status, 'COMPLETE', a.reason);
    assert.equal(v.status, 'COMPLETE', v.reason);
    lab = { host: String(a.outputs.public_ip), username: 'training', privateKey: String(a.outputs.private_key) };
    other = { host: String(v.outputs.public_ip), username: 'training', privateKey: String(v.outputs.private_key) };
    await Promise.all([waitForLogin(lab), waitForLogin(other)]);
    container = stackState(attacker.name).plan.servers[0].container;
    pid = (await initPid(join(LXC_HOME, 'containers'), container)) ?? 0;
    assert.ok(pid > 0, 'the attacker lab has an init process');
  });

  after(async () => {
    await Promise.all([provider.delete(attacker).catch(() => {}), provider.delete(victim).catch(() => {})]);
  });

  test('root in the lab is root there (sudo works) and an unprivileged id range on the host', async () => {
    const range = await ensureIdRange();
    const out = await asRoot(lab, 'id -u; cat /proc/self/uid_map');
    assert.match(out, new RegExp(`^0\\n\\s*0\\s+${range.first}\\s+${range.count}\\s*$`), out);
    assert.equal(statSync(`/proc/${pid}`).uid, range.first, 'the lab\'s init runs as the range\'s first uid on the host');
    assert.notEqual(range.first, 0);
    // systemd runs the whole boot in the unprivileged container (cgroup mounts, units), nothing failed.
    const boot = await asRoot(lab, 'timeout 60 systemctl is-system-running --wait; systemctl --failed --no-legend --plain');
    assert.equal(boot.trim(), 'running', boot);
  });

  test('mounting or reading the host\'s disk is refused', async () => {
    const dev = hostRootDevice();
    assert.ok(existsSync(dev.path) && statSync(dev.path).isBlockDevice(), `${dev.path} is the host's root block device`);
    const out = await asRoot(
      lab,
      [
        attempt('mknod', `mknod /root/disk b ${dev.major} ${dev.minor}`),
        attempt('read', 'head -c 512 /root/disk'),
        attempt('mount', 'mkdir -p /mnt/host && mount -t ext4 /root/disk /mnt/host'),
        attempt('see', `ls /dev | grep -qx ${sq(dev.path.replace('/dev/', ''))}`),
      ].join('; '),
    );
    assert.deepEqual(out.trim().split('\n'), ['mknod REFUSED', 'read REFUSED', 'mount REFUSED', 'see REFUSED'], out);
  });

  test('writes to /proc and /sys do not reach the host\'s kernel settings', async () => {
    // Each write puts back the value it read, so a runtime that let it through would change nothing.
    const targets = ['/proc/sys/kernel/panic', '/proc/sys/vm/overcommit_memory', '/sys/kernel/mm/ksm/run'].filter((p) => existsSync(p));
    assert.ok(targets.length >= 2, 'the host has the kernel settings the test writes');
    const lines = targets.map((p, i) => attempt(`w${i}`, `v=$(cat ${p}) && echo "$v" > ${p}`));
    // The magic SysRq key: 'h' only prints help, should the write ever get through.
    if (existsSync('/proc/sysrq-trigger')) lines.push(attempt('sysrq', 'echo h > /proc/sysrq-trigger'));
    const out = await asRoot(lab, lines.join('; '));
    assert.deepEqual(out.trim().split('\n'), [...targets.map((_p, i) => `w${i} REFUSED`), ...(existsSync('/proc/sysrq-trigger') ? ['sysrq REFUSED'] : [])], out);
  });

  test('the host\'s cgroup tree is out of reach, and the lab cannot lift its own limits', async () => {
    const canary = `/sys/fs/cgroup/pids/stacklab-canary-${process.pid}`;
    mkdirSync(canary, { recursive: true });
    const limitFile = `/sys/fs/cgroup/memory/lxc.payload.${container}/memory.limit_in_bytes`;
    const limit = readFileSync(limitFile, 'utf8').trim();
    try {
      const name = canary.split('/').pop()!;
      const out = await asRoot(
        lab,
        [
          attempt('visible', `ls /sys/fs/cgroup/pids | grep -qx ${name}`),
          // A fresh mount of the hierarchy shows only the lab's own cgroup namespace.
          `mkdir -p /tmp/cg && mount -t cgroup -o pids none /tmp/cg 2>/dev/null; ${attempt('mounted-visible', `ls /tmp/cg | grep -qx ${name}`)}`,
          // CVE-2022-0492: a release_agent runs as host root when a cgroup empties.
          `mkdir -p /tmp/cgm && mount -t cgroup -o memory none /tmp/cgm 2>/dev/null; ${attempt('release-agent', 'echo /tmp/x > /tmp/cgm/release_agent')}`,
          attempt('raise-memory', 'echo -1 > /sys/fs/cgroup/memory/memory.limit_in_bytes'),
          attempt('raise-pids', 'echo max > /sys/fs/cgroup/pids/pids.max'),
          attempt('devices', 'echo a > /sys/fs/cgroup/devices/devices.allow'),
        ].join('; '),
      );
      assert.deepEqual(out.trim().split('\n'), ['visible REFUSED', 'mounted-visible REFUSED', 'release-agent REFUSED', 'raise-memory REFUSED', 'raise-pids REFUSED', 'devices REFUSED'], out);
      assert.equal(readFileSync(limitFile, 'utf8').trim(), limit, 'the memory limit is what the flavor set');
    } finally {
      rmdirSync(canary);
    }
  });

  test('kernel modules cannot be loaded or removed, and raw I/O is refused', async () => {
    // finit_module(-1) and delete_module of a module that does not exist: on the host's root they
    // reach the kernel (EBADF 9 / ENOENT 2, or ENOSYS 38 on a kernel built without modules, as CI's
    // is); in the lab the seccomp policy answers EPERM (1) before the kernel is asked.
    const load = `perl -e 'my $p = ""; syscall(313, -1, $p, 0); print $! + 0, "\\n"'`;
    const unload = `perl -e 'my $m = "stacklab_no_such_module"; syscall(176, $m, 0); print $! + 0, "\\n"'`;
    const onHost = [load, unload].map((c) => execFileSync('sh', ['-c', c], { encoding: 'utf8' }).trim());
    assert.ok(['9', '38'].includes(onHost[0]) && ['2', '38'].includes(onHost[1]), `on the host: ${onHost.join(', ')}`);
    const out = await asRoot(
      lab,
      [
        load,
        unload,
        // iopl(3): raw I/O ports.
        `perl -e 'syscall(172, 3); print $! + 0, "\\n"'`,
        attempt('kmsg', 'mknod /root/kmsg c 1 11 && head -c 1 /root/kmsg'),
      ].join('; '),
    );
    assert.deepEqual(out.trim().split('\n'), ['1', '1', '1', 'kmsg REFUSED'], out);
  });

  test('no host service answers the lab, on any host address', async () => {
    const listener: Server = createServer((s) => {
      s.on('error', () => {});
      s.end('host\n');
    });
    await new Promise<void>((r) => listener.listen(0, '0.0.0.0', () => r()));
    const own = (listener.address() as { port: number }).port;
    try {
      const addresses = [...hostAddresses(), '10.254.0.1'];
      // stacklab's port, PostgreSQL, MariaDB, RabbitMQ, Redis, Keystone, Heat, sshd, and a port the test opened.
      const ports = [8080, 5432, 3306, 5672, 6379, 5000, 8004, 22, own];
      assert.ok(await tcpConnects(hostAddresses()[0], own), 'the host connects to its own listener');
      assert.ok(await tcpConnects('127.0.0.1', 5432), 'PostgreSQL runs on the host');
      const probes = addresses.flatMap((a) => ports.map((p) => `(timeout 3 bash -c 'exec 3<>/dev/tcp/${a}/${p}' 2>/dev/null && echo "${a}:${p} OPEN") &`));
      const out = await asRoot(lab, `${probes.join(' ')} wait; echo END`, 60_000);
      assert.equal(out.trim(), 'END', `the lab reached: ${out}`);
    } finally {
      listener.close();
    }
  });

  test('a frame handed to the host on the lab\'s own bridge (broadcast MAC) is dropped', async () => {
    const udp: Socket = createSocket('udp4');
    let received = 0;
    udp.on('message', () => received++);
    await new Promise<void>((r) => udp.bind(0, '0.0.0.0', () => r()));
    const port = udp.address().port;
    try {
      const target = hostAddresses()[0];
      // The host has no address on the lab's bridge, so root skips routing and ARP altogether.
      const out = await asRoot(
        lab,
        `ip neigh replace ${target} lladdr ff:ff:ff:ff:ff:ff dev eth0 nud permanent && ip route replace ${target}/32 dev eth0 && bash -c 'for i in 1 2 3 4 5; do echo x > /dev/udp/${target}/${port} && echo SENT; sleep 0.2; done'`,
      );
      assert.equal(out.match(/SENT/g)?.length, 5, out);
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(received, 0, 'the host received a datagram from the lab');
    } finally {
      udp.close();
    }
  });

  test('another learner\'s lab is out of reach, even as root', async () => {
    const out = await asRoot(lab, `timeout 3 bash -c 'exec 3<>/dev/tcp/${other.host}/22' 2>/dev/null && echo OPEN || echo CLOSED; ping -c1 -W1 ${other.host} >/dev/null 2>&1 && echo PING || echo NOPING`);
    assert.deepEqual(out.trim().split('\n'), ['CLOSED', 'NOPING'], out);
    // Control: the platform (the host) reaches the other lab's SSH.
    assert.ok(await tcpConnects(other.host, 22));
  });

  test('a memory hog is killed at the flavor\'s limit; the lab and the host carry on', async () => {
    const cg = `/sys/fs/cgroup/memory/lxc.payload.${container}`;
    const limit = Number(readFileSync(`${cg}/memory.limit_in_bytes`, 'utf8'));
    assert.equal(limit, 512 * 1024 * 1024);
    const failBefore = Number(readFileSync(`${cg}/memory.failcnt`, 'utf8'));
    // 1 GiB of string in a lab of 512 MiB.
    const out = await asRoot(lab, `timeout 60 perl -e '$x = "a" x (1024 * 1024 * 1024); print "survived\\n"'; echo "exit $?"`, 90_000);
    assert.doesNotMatch(out, /survived/);
    assert.match(out, /exit (137|124)/, out);
    assert.ok(Number(readFileSync(`${cg}/memory.max_usage_in_bytes`, 'utf8')) <= limit, 'usage stayed within the limit');
    assert.ok(Number(readFileSync(`${cg}/memory.failcnt`, 'utf8')) > failBefore, 'the limit was hit');
    assert.equal((await sshExec(lab, 'echo alive')).stdout.trim(), 'alive');
  });

  test('a fork bomb stops at the flavor\'s process limit; the lab and the host carry on', async () => {
    const cg = `/sys/fs/cgroup/pids/lxc.payload.${container}`;
    const max = Number(readFileSync(`${cg}/pids.max`, 'utf8'));
    assert.equal(max, 1024);
    // Forks until the kernel says no, counts, then ends its children: bounded, stops by itself.
    // It first leaves systemd's smaller per-service limit for the lab's top cgroup, as an attacker would.
    const bomb = `perl -e 'my @k; for (1..5000) { my $p = fork(); last unless defined $p; if ($p == 0) { sleep 30; exit 0 } push @k, $p } print scalar(@k), "\\n"; kill "KILL", @k; waitpid($_, 0) for @k'`;
    const out = await asRoot(lab, `echo $$ > /sys/fs/cgroup/pids/cgroup.procs && exec timeout 60 ${bomb}`, 90_000);
    const forked = Number(out.trim().split('\n').pop());
    assert.ok(forked > max / 2 && forked < max, `forked ${forked} of at most ${max}: ${out}`);
    const events = readFileSync(`${cg}/pids.events`, 'utf8');
    assert.ok(Number(events.match(/max (\d+)/)?.[1]) > 0, `the flavor's pids limit refused forks: ${events}`);
    assert.equal(execFileSync('sh', ['-c', 'echo host'], { encoding: 'utf8', timeout: 10_000 }).trim(), 'host');
    assert.equal((await sshExec(lab, 'echo alive')).stdout.trim(), 'alive');
  });
});
