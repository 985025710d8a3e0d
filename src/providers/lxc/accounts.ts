/**
 * Creates cloud-config users by writing the account files into the server's upper layer before
 * it boots, instead of running useradd at boot (half a second of a launch). The result is what
 * useradd -m would make: passwd/shadow/group/gshadow entries, a user group, supplementary groups,
 * a home from /etc/skel, and ~/.ssh/authorized_keys, all owned by the new uid.
 */
import { existsSync } from 'node:fs';
import { chmod, chown, copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Account {
  name: string;
  gecos?: string;
  shell: string;
  groups: string[];
  homedir?: string;
  keys: string[];
}

type Table = string[][];

async function load(upper: string, rootfs: string, file: string): Promise<{ rows: Table; mode: number; uid: number; gid: number }> {
  const src = existsSync(join(upper, file)) ? join(upper, file) : join(rootfs, file);
  const st = await stat(src);
  const rows = (await readFile(src, 'utf8')).split('\n').filter(Boolean).map((l) => l.split(':'));
  return { rows, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}

async function save(upper: string, file: string, t: { rows: Table; mode: number; uid: number; gid: number }): Promise<void> {
  const target = join(upper, file);
  await mkdir(join(upper, 'etc'), { recursive: true });
  await writeFile(target, t.rows.map((r) => r.join(':')).join('\n') + '\n', { mode: t.mode });
  await chmod(target, t.mode);
  await chown(target, t.uid, t.gid);
}

function freeId(used: Set<number>): number {
  for (let id = 1000; id < 60000; id++) if (!used.has(id)) return id;
  throw new Error('no free uid/gid');
}

export async function writeAccounts(upper: string, rootfs: string, accounts: Account[]): Promise<void> {
  if (!accounts.length) return;
  const passwd = await load(upper, rootfs, 'etc/passwd');
  const shadow = await load(upper, rootfs, 'etc/shadow');
  const group = await load(upper, rootfs, 'etc/group');
  const gshadow = await load(upper, rootfs, 'etc/gshadow');
  const uids = new Set(passwd.rows.map((r) => Number(r[2])));
  const gids = new Set(group.rows.map((r) => Number(r[2])));
  const days = Math.floor(Date.now() / 86_400_000);
  const addGroup = (name: string, gid?: number) => {
    if (group.rows.some((r) => r[0] === name)) return;
    const id = gid !== undefined && !gids.has(gid) ? gid : freeId(gids);
    gids.add(id);
    group.rows.push([name, 'x', String(id), '']);
    gshadow.rows.push([name, '!', '', '']);
  };
  const addMember = (t: Table, groupName: string, user: string, col: number) => {
    const row = t.find((r) => r[0] === groupName);
    if (!row) return;
    const members = row[col] ? row[col].split(',') : [];
    if (!members.includes(user)) row[col] = [...members, user].join(',');
  };
  const skel = join(rootfs, 'etc/skel');
  for (const a of accounts) {
    if (passwd.rows.some((r) => r[0] === a.name)) continue;
    const uid = freeId(uids);
    uids.add(uid);
    addGroup(a.name, uid);
    const gid = Number(group.rows.find((r) => r[0] === a.name)![2]);
    const home = a.homedir ?? `/home/${a.name}`;
    passwd.rows.push([a.name, 'x', String(uid), String(gid), a.gecos ?? '', home, a.shell]);
    shadow.rows.push([a.name, '!', String(days), '0', '99999', '7', '', '', '']);
    for (const g of a.groups) {
      addGroup(g);
      addMember(group.rows, g, a.name, 3);
      addMember(gshadow.rows, g, a.name, 3);
    }
    const h = join(upper, home);
    await mkdir(h, { recursive: true });
    for (const f of existsSync(skel) ? await readdir(skel) : []) await copyFile(join(skel, f), join(h, f));
    if (a.keys.length) {
      await mkdir(join(h, '.ssh'), { recursive: true });
      await writeFile(join(h, '.ssh/authorized_keys'), a.keys.join('\n') + '\n', { mode: 0o600 });
      await chmod(join(h, '.ssh'), 0o700);
    }
    await chmod(h, 0o755);
    for (const p of [h, ...(await readdir(h)).map((f) => join(h, f)), ...(a.keys.length ? [join(h, '.ssh/authorized_keys')] : [])]) await chown(p, uid, gid);
  }
  await save(upper, 'etc/passwd', passwd);
  await save(upper, 'etc/shadow', shadow);
  await save(upper, 'etc/group', group);
  await save(upper, 'etc/gshadow', gshadow);
}
