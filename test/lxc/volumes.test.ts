/**
 * Volumes on the local runtime: OS::Cinder::Volume + OS::Cinder::VolumeAttachment and a server's
 * block_device_mapping(_v2). The planner's part (devices, attributes, refusals) needs no root; on a
 * real server a 1 GB volume is /dev/vdb of that size, the author's `mkfs.ext4` + fstab + `mount -a`
 * in user_data mounts it, its size is enforced, a file on it survives suspend/resume, and delete
 * leaves no mount, loop device or file behind.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { PLATFORM_KEY_PARAMETER } from '../../src/providers/lxc/plan/server-handler.ts';
import { validateForLxc } from '../../src/providers/lxc/validate.ts';
import { makePlatformKeyPair } from '../../src/services/platform-key-pair.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { sshExec, waitForLogin, type SshTarget } from './ssh.ts';
import { planTemplate } from './support-plan.ts';
import { LXC_HOME, leftovers, lxcMissing, stackState, testProvider, uniqueName, waitFor } from './support.ts';

const NETWORK = `  net: { type: OS::Neutron::Net }
  subnet: { type: OS::Neutron::Subnet, properties: { network: { get_resource: net }, cidr: 10.0.0.0/24 } }
`;

/** A server on the template's network with `extra` properties (YAML flow map entries). */
const server = (name: string, extra = '') => `  ${name}:
    type: OS::Nova::Server
    properties: { image: debian-12, flavor: m1.tiny, networks: [ { network: { get_resource: net } } ]${extra ? `, ${extra}` : ''} }
`;

const plan = (resources: string) => planTemplate(`heat_template_version: 2018-08-31\nresources:\n${NETWORK}${resources}`).plan;
const problems = (resources: string) => validateForLxc(`heat_template_version: 2018-08-31\nresources:\n${NETWORK}${resources}`);

describe('lxc planner: volumes', () => {
  test('a volume attached by VolumeAttachment is the server\'s /dev/vdb, with Cinder\'s attributes', () => {
    const t = `heat_template_version: 2018-08-31
resources:
${NETWORK}${server('vm')}  data: { type: OS::Cinder::Volume, properties: { size: 2, name: data } }
  attach: { type: OS::Cinder::VolumeAttachment, properties: { instance_uuid: { get_resource: vm }, volume_id: { get_resource: data }, mountpoint: /dev/vdb } }
outputs:
  size: { value: { get_attr: [ data, size ] } }
  status: { value: { get_attr: [ data, status ] } }
  device: { value: { get_attr: [ data, attachments_list, 0, device ] } }
`;
    const { plan: p, outputs } = planTemplate(t);
    assert.deepEqual(p.volumes, [{ resource: 'data', dir: 'sl000000v0', sizeGb: 2 }]);
    assert.deepEqual(p.servers[0].volumes, [{ volume: 'sl000000v0', device: 'vdb' }]);
    assert.deepEqual(outputs({}), { size: 2, status: 'in-use', device: '/dev/vdb' });
  });

  test('devices follow Nova: the asked letter when free, else the next; "auto" or none takes the next', () => {
    const p = plan(`${server('vm')}  a: { type: OS::Cinder::Volume, properties: { size: 1 } }
  b: { type: OS::Cinder::Volume, properties: { size: 1 } }
  c: { type: OS::Cinder::Volume, properties: { size: 1 } }
  at_a: { type: OS::Cinder::VolumeAttachment, properties: { instance_uuid: { get_resource: vm }, volume_id: { get_resource: a }, mountpoint: /dev/vdc } }
  at_b: { type: OS::Cinder::VolumeAttachment, properties: { instance_uuid: { get_resource: vm }, volume_id: { get_resource: b }, mountpoint: /dev/vdc }, depends_on: at_a }
  at_c: { type: OS::Cinder::VolumeAttachment, properties: { instance_uuid: { get_resource: vm }, volume_id: { get_resource: c } }, depends_on: at_b }
`);
    assert.deepEqual(p.servers[0].volumes?.map((v) => v.device), ['vdc', 'vdb', 'vdd']);
  });

  test('block_device_mapping_v2: the boot image is the server\'s image; a blank mapping is a volume of its size', () => {
    const p = plan(server('vm', 'block_device_mapping_v2: [ { image: debian-13, boot_index: 0, volume_size: 10 }, { volume_size: 3, device_name: vdb } ]').replace('image: debian-12, ', ''));
    assert.equal(p.servers[0].image, 'debian-13');
    assert.deepEqual(p.volumes?.map((v) => v.sizeGb), [3]);
    assert.deepEqual(p.servers[0].volumes?.map((v) => v.device), ['vdb']);
  });

  // Boot from a volume made from an image, in the style of Juniper/wistar issue #46 (a v1 mapping at vda, delete_on_termination as text).
  test('block_device_mapping (v1): a volume of the template at vdb; a server booted from an image volume runs that image', () => {
    const p = plan(`  boot: { type: OS::Cinder::Volume, properties: { image: debian-11-genericcloud-amd64, size: 5 } }
  data: { type: OS::Cinder::Volume, properties: { size: 1 } }
${server('vm', 'block_device_mapping: [ { device_name: vda, volume_id: { get_resource: boot }, delete_on_termination: "true" }, { device_name: vdb, volume_id: { get_resource: data } } ]').replace('image: debian-12, ', '')}`);
    assert.equal(p.servers[0].image, 'debian-11');
    // The boot volume is the server's root (its overlay): nothing is made for it.
    assert.deepEqual(p.volumes?.map((v) => v.resource), ['data']);
    assert.deepEqual(p.servers[0].volumes?.map((v) => v.device), ['vdb']);
  });

  test('the runtime lists Cinder types as supported and refuses, by property, what it cannot run', () => {
    assert.deepEqual(problems(`${server('vm')}  v: { type: OS::Cinder::Volume, properties: { size: 1 } }
  at: { type: OS::Cinder::VolumeAttachment, properties: { instance_uuid: { get_resource: vm }, volume_id: { get_resource: v } } }
`), []);
    const refused = (r: string) => problems(r).map((x) => `${x.resource}.${x.property}: ${x.message}`).join('\n');
    assert.match(refused('  v: { type: OS::Cinder::Volume, properties: { size: 1, snapshot_id: 0b1c } }\n'), /v\.snapshot_id: volumes made from snapshots of a cloud are not supported/);
    assert.match(refused('  v: { type: OS::Cinder::Volume, properties: { source_volid: 0b1c } }\n'), /v\.source_volid: volumes made from volumes of a cloud are not supported/);
    assert.match(refused('  v: { type: OS::Cinder::Volume, properties: { size: 1000 } }\n'), /v\.size: must be a whole number from 1 to 100/);
    assert.match(refused('  v: { type: OS::Cinder::Volume }\n'), /v\.size: size is required/);
    assert.match(
      refused(`${server('a')}${server('b')}  v: { type: OS::Cinder::Volume, properties: { size: 1 } }
  at1: { type: OS::Cinder::VolumeAttachment, properties: { instance_uuid: { get_resource: a }, volume_id: { get_resource: v } } }
  at2: { type: OS::Cinder::VolumeAttachment, properties: { instance_uuid: { get_resource: b }, volume_id: { get_resource: v } }, depends_on: at1 }
`),
      /at2\.volume_id: volume v is already attached to a/,
    );
    assert.match(
      refused(`${server('vm')}  v: { type: OS::Cinder::Volume, properties: { image: debian-12 } }
  at: { type: OS::Cinder::VolumeAttachment, properties: { instance_uuid: { get_resource: vm }, volume_id: { get_resource: v } } }
`),
      /at\.volume_id: volume v is made from an image/,
    );
    assert.match(
      refused(`${server('vm')}  v: { type: OS::Cinder::Volume, properties: { size: 1 } }
  at: { type: OS::Cinder::VolumeAttachment, properties: { instance_uuid: { get_resource: vm }, volume_id: { get_resource: v }, mountpoint: /mnt/data } }
`),
      /at\.volume_id: "\/mnt\/data" is not a device name/,
    );
  });
});

/**
 * In the style of NeCTAR-RC/heat-templates server_with_new_volume.yaml (a Volume of a parameter's
 * size and a VolumeAttachment, as Heat's template guide shows them), with the user_data such labs
 * carry: format the disk, add it to /etc/fstab, `mount -a`.
 */
const LAB = `heat_template_version: 2018-08-31
parameters:
  ${PLATFORM_KEY_PARAMETER}: { type: string }
  volume_size: { type: number, default: 1, description: Size of the volume to be created. }
resources:
${NETWORK}  router: { type: OS::Neutron::Router, properties: { external_gateway_info: { network: public } } }
  router_interface: { type: OS::Neutron::RouterInterface, properties: { router: { get_resource: router }, subnet: { get_resource: subnet } } }
  port: { type: OS::Neutron::Port, properties: { network: { get_resource: net }, fixed_ips: [ { subnet: { get_resource: subnet } } ] } }
  my_server:
    type: OS::Nova::Server
    properties:
      image: debian-12
      flavor: m1.tiny
      key_name: lab
      networks: [ { port: { get_resource: port } } ]
      user_data_format: RAW
      user_data: |
        #!/bin/sh
        set -e
        while [ ! -b /dev/vdb ]; do sleep 1; done
        mkfs.ext4 -F /dev/vdb
        mkdir -p /srv/data
        echo '/dev/vdb /srv/data ext4 defaults 0 2' >> /etc/fstab
        mount -a
        touch /srv/data/mounted-by-user-data
  my_volume:
    type: OS::Cinder::Volume
    properties: { size: { get_param: volume_size } }
  my_volume_attachment:
    type: OS::Cinder::VolumeAttachment
    properties: { volume_id: { get_resource: my_volume }, instance_uuid: { get_resource: my_server } }
  floating_ip:
    type: OS::Neutron::FloatingIP
    depends_on: router_interface
    properties: { floating_network: public, port_id: { get_resource: port } }
outputs:
  public_ip: { value: { get_attr: [ floating_ip, floating_ip_address ] } }
  volume_size: { value: { get_attr: [ my_volume, size ] } }
`;

const missing = await lxcMissing();
const GiB = 1024 ** 3;

describe('lxc: a volume on a real server', { skip: skipUnless(missing === null, missing ?? ''), concurrency: false }, () => {
  const provider = testProvider();
  const name = uniqueName('vol');
  const ref = { id: name, name };
  let target: SshTarget;

  after(async () => {
    await provider.delete(ref).catch(() => {});
  });

  /** Runs as root on the server; fails the test on a non-zero exit. */
  const root = async (command: string) => {
    const r = await sshExec(target, command);
    assert.equal(r.code, 0, `${command}: ${r.stderr}${r.stdout}`);
    return r.stdout.trim();
  };

  test('is /dev/vdb of its size, mounted by the template, full at its size, kept across suspend/resume, gone after delete', async () => {
    const pair = await makePlatformKeyPair(name);
    await provider.create({ name, template: LAB, parameters: { [PLATFORM_KEY_PARAMETER]: pair.publicKey }, timeoutSeconds: 120 });
    const done = await waitFor(provider, ref, 'CREATE');
    assert.equal(done.status, 'COMPLETE', done.reason);
    assert.equal(done.outputs.volume_size, 1);
    target = { host: String(done.outputs.public_ip), username: 'root', privateKey: pair.privateKey };
    await waitForLogin(target);
    // user_data runs once sshd is up: its end is the marker the image's unit leaves.
    for (let i = 0; (await sshExec(target, 'test -f /var/lib/stacklab/final.done')).code !== 0; i++) {
      assert.ok(i < 600, 'user_data did not finish');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(await root('cat /var/log/stacklab-final.log >&2; test -f /srv/data/mounted-by-user-data && echo yes'), 'yes');
    assert.equal(Number(await root('blockdev --getsize64 /dev/vdb')), GiB);
    assert.equal(await root('blkid -s TYPE -o value /dev/vdb'), 'ext4');
    // The host has the file system mounted: the device is readable only, even to the lab's root.
    const write = await sshExec(target, 'dd if=/dev/zero of=/dev/vdb bs=4096 count=1 conv=notrunc');
    assert.notEqual(write.code, 0, 'the lab wrote to its volume\'s device');
    assert.match(write.stderr, /Operation not permitted|Permission denied/);
    const fsSize = Number(await root('df -B1 --output=size /srv/data | tail -n 1'));
    assert.ok(fsSize > 0.9 * GiB && fsSize <= GiB, `file system of ${fsSize} bytes`);
    // The size is enforced: more than the volume holds is refused inside the lab.
    const over = await sshExec(target, 'fallocate -l 1100M /srv/data/too-big');
    assert.notEqual(over.code, 0);
    assert.match(over.stderr, /No space left on device/);
    await root('rm -f /srv/data/too-big; echo "kept across suspend" > /srv/data/proof; sync');

    const state = stackState(name) as ReturnType<typeof stackState> & { plan: { volumes: { dir: string }[] } };
    const volumeDir = join(LXC_HOME, 'containers', state.plan.volumes[0].dir);
    assert.equal(readFileSync(join(volumeDir, 'mnt/proof'), 'utf8'), 'kept across suspend\n');

    await provider.suspend(ref);
    assert.equal((await waitFor(provider, ref, 'SUSPEND')).status, 'COMPLETE');
    await provider.resume(ref);
    assert.equal((await waitFor(provider, ref, 'RESUME')).status, 'COMPLETE');
    await waitForLogin(target, 10_000);
    assert.equal(await root('cat /srv/data/proof'), 'kept across suspend');
    // The other ways templates mount a disk: by device, by UUID (as blkid prints it), a second mount -a.
    assert.equal(await root('mkdir -p /mnt/a /mnt/b && mount -t ext4 /dev/vdb /mnt/a && mount UUID=$(blkid -s UUID -o value /dev/vdb) /mnt/b && mount -a && cat /mnt/a/proof /mnt/b/proof'), 'kept across suspend\nkept across suspend');
    // Anything that is not a volume goes to the real mount.
    assert.equal(await root('mkdir -p /mnt/t && mount -t tmpfs none /mnt/t && findmnt -n -o FSTYPE /mnt/t'), 'tmpfs');

    // A reboot of the server: the fstab line is bound again at boot, as a cloud image's fstab mounts it.
    await root('touch /run/before-reboot');
    await provider.rebootServers!(ref, ['my_server']);
    for (let i = 0; ; i++) {
      const r = await sshExec(target, 'test ! -e /run/before-reboot && systemctl is-system-running --wait', 5000).catch(() => null);
      if (r?.code === 0) break;
      assert.ok(i < 300, `the server did not come back from its reboot: ${r?.stdout ?? ''}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(await root('cat /srv/data/proof'), 'kept across suspend');

    await provider.delete(ref);
    assert.deepEqual(await leftovers(state.shortId, name, state.plan.publicIps), []);
    assert.equal(existsSync(volumeDir), false);
    assert.doesNotMatch(execFileSync('losetup', ['-a'], { encoding: 'utf8' }), new RegExp(state.plan.volumes[0].dir));
  });
});
