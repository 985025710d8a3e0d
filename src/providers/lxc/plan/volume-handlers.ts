/**
 * Volumes: OS::Cinder::Volume, OS::Cinder::VolumeAttachment and a server's block_device_mapping(_v2).
 * A data volume becomes a file system of its size that the host makes and mounts (volumes.ts); the
 * server sees it as /dev/vdX and at /var/lib/stacklab/volumes/vdX (docs/local-runtime.md, "Volumes").
 * A volume made from an image can only be what a server boots from: that server runs on the image
 * (its root is the container's overlay, not the volume).
 */
import { IMAGE_CATALOG, resolveImageName } from '../images.ts';
import { names } from '../names.ts';
import type { ServerPlan } from '../plan.ts';
import { list, obj, type Props } from '../plan-support.ts';
import type { ResourceHandler } from './handler.ts';
import type { PlanState, VolumeState } from './plan-state.ts';

/**
 * The largest volume a template may ask for. The file is sparse (only what is written takes host
 * disk), but a lab filling a volume larger than the host's free space would fail with I/O errors.
 */
export const MAX_VOLUME_GB = 100;

/** Devices a server's volumes take, in Nova's order (vda is the root disk). */
const DEVICE_LETTERS = 'bcdefghijklmnopqrstuvwxyz';

function catalogImage(state: PlanState, res: string, value: unknown, property: string): string | undefined {
  const name = state.text(res, value, property);
  if (name === undefined) return undefined;
  return resolveImageName(state.input.settings, name) ?? state.fail(res, `image "${name}" is not in the local image catalog (${Object.keys(IMAGE_CATALOG).join(', ')}; aliases can be added in the lxc provider options)`, property);
}

/** A volume made from another volume, a snapshot or a backup names an object of a cloud, which this host has not got. */
function refuseCloudSources(state: PlanState, res: string, p: Props, keys: string[], at = ''): void {
  for (const k of keys)
    if (p[k] !== undefined && p[k] !== null) state.fail(res, `volumes made from ${k === 'source_volid' ? 'volumes' : `${k.replace(/_id$/, '')}s`} of a cloud are not supported by the local runtime (lxc); make a blank volume or one from an image`, `${at}${k}`);
}

function newVolume(state: PlanState, res: string, sizeGb: number, image?: string): VolumeState {
  const v: VolumeState = { resource: res, dir: names.volume(state.shortId, state.volumes.size), sizeGb, image };
  state.volumes.set(res, v);
  return v;
}

export const planVolume: ResourceHandler = (state, res, p) => {
  refuseCloudSources(state, res, p, ['source_volid', 'snapshot_id', 'backup_id']);
  const image = catalogImage(state, res, p.image ?? p.imageRef, p.image !== undefined ? 'image' : 'imageRef');
  // Heat needs a size unless the volume copies something; an image volume is a boot disk here, of the image's size.
  if (p.size === undefined && image === undefined) state.fail(res, 'size is required for a volume that is not made from an image', 'size');
  const v = newVolume(state, res, state.whole(res, p.size, 'size', 1, 1, MAX_VOLUME_GB), image);
  const metadata = obj(p.metadata);
  // Heat names an unnamed volume after the stack and the resource.
  const name = state.text(res, p.name, 'name') ?? `${state.input.stackName}-${res}`;
  state.attributes[res] = {
    size: v.sizeGb, status: 'available', display_name: name, display_description: state.text(res, p.description, 'description') ?? null,
    availability_zone: state.text(res, p.availability_zone, 'availability_zone') ?? 'nova', bootable: image !== undefined, encrypted: false,
    multiattach: false, metadata: JSON.stringify(metadata), metadata_values: metadata, snapshot_id: null, source_volid: null,
    volume_type: state.text(res, p.volume_type, 'volume_type') ?? '', created_at: new Date().toISOString(), attachments: '[]', attachments_list: [],
    show: { id: state.ids[res], name, size: v.sizeGb, status: 'available', bootable: String(image !== undefined) },
  };
};

/** `/dev/vdb`, `vdb`, `/dev/sdb`, `/dev/xvdb`: Nova on KVM gives virtio devices whatever the name says; the letter is kept when free. */
function chooseDevice(state: PlanState, owner: string, server: ServerPlan, wanted: string | undefined, property: string): string {
  const taken = new Set((server.volumes ?? []).map((x) => x.device));
  if (wanted !== undefined && wanted !== '' && wanted !== 'auto') {
    const m = /^(?:\/dev\/)?(?:x?vd|sd|hd)([b-z])$/.exec(wanted);
    if (!m) state.fail(owner, `"${wanted}" is not a device name a volume can have (like /dev/vdb)`, property);
    if (!taken.has(`vd${m![1]}`)) return `vd${m![1]}`;
  }
  const free = [...DEVICE_LETTERS].find((l) => !taken.has(`vd${l}`));
  return free ? `vd${free}` : state.fail(owner, `server ${server.resource} has no device left for another volume`, property);
}

/** Attaches a data volume to a server already planned; `owner` and `property` say where the template asks for it. */
function attach(state: PlanState, owner: string, property: string, serverRes: string, volumeRes: string, wanted: string | undefined): void {
  // Named by a plain string (no dependency), either may come later in the walk, or have been refused.
  const v = state.volumes.get(volumeRes) ?? state.fail(owner, `volume ${volumeRes} is not built by the local runtime before this (missing depends_on?)`, property);
  const server = state.servers.find((x) => x.resource === serverRes) ?? state.fail(owner, `server ${serverRes} is not built by the local runtime before this (missing depends_on?)`, property);
  if (v.image !== undefined) state.fail(owner, `volume ${volumeRes} is made from an image: the local runtime can only boot a server from it (block_device_mapping_v2 with boot_index 0), not attach it as a data disk`, property);
  if (v.attachedTo !== undefined) state.fail(owner, `volume ${volumeRes} is already attached to ${v.attachedTo}; the local runtime attaches a volume to one server`, property);
  const device = chooseDevice(state, owner, server, wanted, property);
  v.attachedTo = serverRes;
  server.volumes = [...(server.volumes ?? []), { volume: v.dir, device }];
  const a = state.attributes[volumeRes];
  if (a) {
    const attachment = { server_id: state.ids[serverRes], volume_id: state.ids[volumeRes], device: `/dev/${device}`, attachment_id: state.ids[owner] ?? state.ids[volumeRes] };
    Object.assign(a, { status: 'in-use', attachments: JSON.stringify([attachment]), attachments_list: [attachment] });
  }
}

export const planVolumeAttachment: ResourceHandler = (state, res, p) => {
  const serverRef = state.text(res, p.instance_uuid, 'instance_uuid') ?? state.fail(res, 'instance_uuid is required', 'instance_uuid');
  const serverRes = state.lookup(serverRef, 'OS::Nova::Server') ?? state.fail(res, `instance_uuid "${serverRef}" is not a server of this template`, 'instance_uuid');
  const volumeRef = state.text(res, p.volume_id, 'volume_id') ?? state.fail(res, 'volume_id is required', 'volume_id');
  const volumeRes = state.lookup(volumeRef, 'OS::Cinder::Volume') ?? state.fail(res, `volume_id "${volumeRef}" is not a volume of this template`, 'volume_id');
  attach(state, res, 'volume_id', serverRes, volumeRes, state.text(res, p.mountpoint, 'mountpoint'));
  state.attributes[res] = { show: {} };
};

/** What a server's block_device_mapping(_v2) asks for: the image it boots (if a mapping says) and the data volumes to attach. */
export interface ServerDisks {
  bootImage?: string;
  /** Call once the server is in `state.servers`. */
  attach(): void;
}

const isBootDevice = (device: string | undefined) => device !== undefined && /^(?:\/dev\/)?(?:x?vd|sd|hd)a$/.test(device);

export function planServerDisks(state: PlanState, res: string, p: Props): ServerDisks {
  const later: (() => void)[] = [];
  let bootImage: string | undefined;
  const boot = (image: string | undefined, property: string) => {
    if (image === undefined) state.fail(res, 'the server boots from a volume that is not made from an image; the local runtime needs an image to boot', property);
    bootImage = image;
  };
  for (const key of ['block_device_mapping', 'block_device_mapping_v2'] as const) {
    for (const [i, raw] of list(p[key]).entries()) {
      const at = `${key}[${i}]`;
      const e = obj(raw);
      const device = state.text(res, e.device_name, `${at}.device_name`);
      refuseCloudSources(state, res, e, ['snapshot_id'], `${at}.`);
      const bootIndex = e.boot_index === undefined || e.boot_index === null ? undefined : Number(e.boot_index);
      const volumeRef = state.text(res, e.volume_id, `${at}.volume_id`);
      const imageValue = e.image ?? e.image_id;
      if (volumeRef !== undefined) {
        const volumeRes = state.lookup(volumeRef, 'OS::Cinder::Volume') ?? state.fail(res, `volume_id "${volumeRef}" is not a volume of this template`, `${at}.volume_id`);
        const v = state.volumes.get(volumeRes) ?? state.fail(res, `volume ${volumeRes} is not built by the local runtime before this (missing depends_on?)`, `${at}.volume_id`);
        if (bootIndex === 0 || isBootDevice(device)) boot(v.image, `${at}.volume_id`);
        else later.push(() => attach(state, res, `${at}.volume_id`, res, volumeRes, device));
      } else if (imageValue !== undefined) {
        // Nova boots from an image mapping unless it is given a later boot index; the overlay is the server's root.
        if (bootIndex !== undefined && bootIndex !== 0) state.fail(res, 'an image mapping that is not the boot disk is not supported by the local runtime (lxc)', `${at}.boot_index`);
        boot(catalogImage(state, res, imageValue, `${at}.${e.image !== undefined ? 'image' : 'image_id'}`), `${at}.image`);
      } else if (e.swap_size !== undefined && e.swap_size !== null) {
        // A container has no swap device of its own; memory is the flavor's.
        const note = `${res}: ${at}.swap_size ignored (containers have no swap device of their own)`;
        if (!state.notes.includes(note)) state.notes.push(note);
      } else if (key === 'block_device_mapping') {
        state.fail(res, 'needs a volume_id (or a snapshot_id)', at);
      } else {
        // A blank volume Nova makes for the server (source blank, destination volume or local).
        const sizeGb = state.whole(res, e.volume_size, `${at}.volume_size`, 0, 1, MAX_VOLUME_GB);
        if (sizeGb === 0) state.fail(res, 'a mapping without volume_id, image or snapshot_id needs a volume_size', `${at}.volume_size`);
        const v = newVolume(state, `${res}.${key}.${i}`, sizeGb);
        state.setId(v.resource, `${state.ids[res]}-disk${i}`);
        later.push(() => attach(state, res, at, res, v.resource, device));
      }
    }
  }
  return { bootImage, attach: () => later.forEach((f) => f()) };
}
