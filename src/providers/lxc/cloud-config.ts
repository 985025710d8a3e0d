/**
 * A faithful subset of cloud-init, applied by stacklab instead of running cloud-init itself (which
 * would add seconds to every boot): user_data as `#cloud-config` (users with ssh keys and sudo,
 * password, chpasswd, ssh_pwauth, write_files, bootcmd, runcmd), as a script (`#!`), or as a MIME
 * multipart message of such parts (user-data-parts.ts). The result is
 * two shell scripts the image's units run at boot (init: before sshd; final: once, after sshd) and
 * the files they install. Keys the subset does not handle are listed so the log can say so.
 */
import { gunzipSync } from 'node:zlib';
import { parse } from 'yaml';
import type { Account } from './accounts.ts';
import { userDataParts } from './user-data-parts.ts';

export interface GuestFile {
  /** Path inside the server. */
  path: string;
  content: string | Buffer;
  mode: number;
}

export interface GuestSetup {
  files: GuestFile[];
  /** Users to create in the account files before boot. */
  accounts: Account[];
  ignored: string[];
}

export interface GuestInput {
  hostname: string;
  userData?: string;
  rootKey?: string;
  routes: { destination: string; nexthop: string }[];
  metadata: Record<string, unknown>;
  name: string;
}

const HANDLED = new Set([
  'users', 'ssh_authorized_keys', 'password', 'chpasswd', 'ssh_pwauth', 'write_files', 'runcmd', 'bootcmd',
  'hostname', 'fqdn', 'manage_etc_hosts', 'preserve_hostname', 'disable_root', 'final_message', 'groups',
]);

/** Single-quotes a string for sh. */
export function sq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

function merged(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObj(out[k]) && isObj(v) ? merged(out[k], v) : v;
  return out;
}

function commandLine(c: unknown): string {
  return Array.isArray(c) ? c.map((x) => sq(String(x))).join(' ') : String(c);
}

function decode(content: unknown, encoding: unknown): string | Buffer {
  const text = content === undefined || content === null ? '' : String(content);
  const enc = String(encoding ?? '').toLowerCase();
  if (['b64', 'base64'].includes(enc)) return Buffer.from(text, 'base64');
  if (['gz+b64', 'gz+base64', 'gzip+b64', 'gzip+base64'].includes(enc)) return gunzipSync(Buffer.from(text, 'base64'));
  return text;
}

export function guestSetup(input: GuestInput): GuestSetup {
  const init: string[] = ['#!/bin/sh', '# Written by stacklab: per-server setup before sshd starts.', 'exec 2>&1'];
  const final: string[] = ['#!/bin/sh', '# Written by stacklab: first-boot runcmd and user_data scripts, after sshd.'];
  const files: GuestFile[] = [];
  const accounts: Account[] = [];
  const ignored: string[] = [];
  for (const r of input.routes) init.push(`ip route replace ${sq(r.destination)} via ${sq(r.nexthop)} || echo "stacklab: route ${r.destination} via ${r.nexthop} failed"`);
  if (input.rootKey) files.push({ path: '/root/.ssh/authorized_keys', content: `${input.rootKey}\n`, mode: 0o600 });
  files.push({ path: '/etc/hostname', content: `${input.hostname}\n`, mode: 0o644 });
  files.push({ path: '/etc/hosts', content: `127.0.0.1\tlocalhost\n127.0.1.1\t${input.hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n`, mode: 0o644 });
  files.push({ path: '/etc/stacklab/meta_data.json', content: JSON.stringify({ name: input.name, hostname: input.hostname, meta: input.metadata }, null, 2), mode: 0o644 });

  let cc: Obj = {};
  let scripts = 0;
  for (const part of userDataParts(input.userData ?? '')) {
    if (part.kind === 'cloud-config') {
      const parsed = parse(part.content) as unknown;
      // Several cloud-config parts merge as cloud-init merges them by default: maps key by key, a later value replacing.
      if (isObj(parsed)) cc = merged(cc, parsed);
    } else if (part.kind === 'script') {
      const path = `/etc/stacklab/user-script${scripts++ ? `-${scripts}` : ''}`;
      files.push({ path, content: part.content, mode: 0o700 });
      final.push(path);
    } else ignored.push(part.type === 'text/plain' ? 'user_data that is neither #cloud-config nor a #! script' : `user_data part of type ${part.type}`);
  }
  for (const k of Object.keys(cc)) if (!HANDLED.has(k)) ignored.push(k);

  for (const c of asList(cc.bootcmd)) init.push(commandLine(c));
  for (const g of asList(cc.groups)) {
    const name = isObj(g) ? Object.keys(g)[0] : String(g);
    init.push(`getent group ${sq(name)} >/dev/null || groupadd ${sq(name)}`);
  }

  const users = cc.users === undefined ? ['default'] : asList(cc.users);
  const defaultKeys = [...asList(cc.ssh_authorized_keys).map(String), ...(input.rootKey ? [input.rootKey] : [])];
  for (const u of users) {
    const spec: Obj = u === 'default' ? { name: 'debian', sudo: 'ALL=(ALL) NOPASSWD:ALL', groups: 'sudo', shell: '/bin/bash', ssh_authorized_keys: defaultKeys, plain_text_passwd: cc.password } : isObj(u) ? u : { name: String(u) };
    const name = String(spec.name ?? '');
    if (!name) continue;
    const groups = (Array.isArray(spec.groups) ? spec.groups : String(spec.groups ?? '').split(',')).map((g) => String(g).trim()).filter(Boolean);
    accounts.push({
      name,
      gecos: spec.gecos ? String(spec.gecos) : undefined,
      shell: String(spec.shell ?? '/bin/bash'),
      groups,
      homedir: spec.homedir ? String(spec.homedir) : undefined,
      keys: asList(spec.ssh_authorized_keys).map(String),
    });
    const sudo = spec.sudo;
    const rules = sudo === true ? ['ALL=(ALL) NOPASSWD:ALL'] : sudo === false || sudo === undefined || sudo === null ? [] : asList(sudo).map(String);
    if (rules.length) {
      files.push({ path: `/etc/sudoers.d/90-stacklab-${name}`, content: rules.map((r) => `${name} ${r}\n`).join(''), mode: 0o440 });
    }
    if (spec.plain_text_passwd) init.push(`echo ${sq(`${name}:${String(spec.plain_text_passwd)}`)} | chpasswd`);
    else if (spec.passwd) init.push(`usermod -p ${sq(String(spec.passwd))} ${sq(name)}`);
    if (spec.lock_passwd === false && !spec.plain_text_passwd && !spec.passwd) init.push(`passwd -d ${sq(name)} >/dev/null`);
  }

  if (isObj(cc.chpasswd)) {
    const expire = cc.chpasswd.expire !== false;
    const pairs: string[] = [];
    const listed = cc.chpasswd.list;
    if (typeof listed === 'string') pairs.push(...listed.split('\n').map((l) => l.trim()).filter(Boolean));
    else pairs.push(...asList(listed).map(String));
    for (const u of asList(cc.chpasswd.users).filter(isObj)) pairs.push(`${String(u.name)}:${String(u.password)}`);
    for (const pair of pairs) {
      const user = pair.split(':')[0];
      init.push(`echo ${sq(pair)} | chpasswd${/^\$\d\$/.test(pair.slice(user.length + 1)) ? ' -e' : ''}`);
      if (expire) init.push(`passwd --expire ${sq(user)} >/dev/null`);
    }
  }
  if (cc.ssh_pwauth !== undefined) {
    const on = cc.ssh_pwauth === true || String(cc.ssh_pwauth).toLowerCase() === 'true' || cc.ssh_pwauth === 'yes';
    files.push({ path: '/etc/ssh/sshd_config.d/50-cloud-init.conf', content: `PasswordAuthentication ${on ? 'yes' : 'no'}\n`, mode: 0o644 });
  }

  for (const [i, f] of asList(cc.write_files).filter(isObj).entries()) {
    const path = String(f.path ?? '');
    if (!path.startsWith('/')) continue;
    const src = `/etc/stacklab/files/${i}`;
    files.push({ path: src, content: decode(f.content, f.encoding), mode: 0o600 });
    const mode = String(f.permissions ?? '0644').replace(/^0o/, '0');
    const owner = String(f.owner ?? 'root:root');
    init.push(`mkdir -p "$(dirname ${sq(path)})"`);
    init.push(f.append ? `cat ${sq(src)} >> ${sq(path)}` : `cat ${sq(src)} > ${sq(path)}`);
    init.push(`chmod ${sq(mode)} ${sq(path)}; chown ${sq(owner)} ${sq(path)} || true`);
  }

  const runcmd = asList(cc.runcmd);
  if (runcmd.length) {
    files.push({ path: '/etc/stacklab/runcmd', content: ['#!/bin/sh', ...runcmd.map(commandLine)].join('\n') + '\n', mode: 0o700 });
    final.unshift(final.shift()!, '/etc/stacklab/runcmd');
  }
  files.push({ path: '/etc/stacklab/init.sh', content: init.join('\n') + '\n', mode: 0o700 });
  if (final.length > 2) files.push({ path: '/etc/stacklab/final.sh', content: final.join('\n') + '\n', mode: 0o700 });
  return { files, accounts, ignored };
}
