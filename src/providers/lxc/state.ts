/**
 * Per-stack state files and reservations on disk. The state file is written before anything is
 * built and updated as the stack changes, so delete and list find everything after a crash.
 * Reservations (public addresses, short ids) are files created with O_EXCL: atomic across
 * processes without a lock server.
 *
 * Two places: `home`, the deployment's own folder (`<dataDir>/deployments/<id>`: its state files and
 * containers, seen by no other deployment), and `dataDir`, shared by every deployment on the host
 * for what must be unique on the host (reservations of short ids, which name links, namespaces and
 * cgroups, and of public addresses on the one public bridge).
 */
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ProviderAction, ProviderStatus } from '../provider.ts';
import type { StackPlan } from './plan.ts';

export interface StackState {
  name: string;
  shortId: string;
  createdAt: string;
  action: ProviderAction;
  status: ProviderStatus;
  reason: string;
  /** The process building or changing the stack; a dead owner means the action was interrupted. */
  pid: number;
  allowInternet: boolean;
  /** The deployment the stack was created for; absent in state files from before deployments. */
  deployment?: string;
  plan?: StackPlan;
  outputs?: Record<string, unknown>;
}

/** Host-wide reservations: public addresses, short ids, and the conntrack zones that go with them. */
export type ReservationKind = 'ip' | 'id' | 'zone';

export class StateStore {
  constructor(
    readonly dataDir: string,
    readonly home: string = dataDir,
  ) {}

  get stacksDir(): string {
    return join(this.home, 'stacks');
  }
  get containersDir(): string {
    return join(this.home, 'containers');
  }
  private reservationDir(kind: ReservationKind): string {
    return join(this.dataDir, 'reservations', kind);
  }
  private file(name: string): string {
    return join(this.stacksDir, `${name}.json`);
  }

  async init(): Promise<void> {
    for (const d of [this.stacksDir, this.containersDir, this.reservationDir('ip'), this.reservationDir('id'), this.reservationDir('zone')]) await mkdir(d, { recursive: true, mode: 0o700 });
    // A lab's root is an unprivileged host uid that mounts its root from under containersDir, so every
    // folder from dataDir down to it must let others pass (0711: pass, not list).
    for (let d = dirname(this.containersDir); d.startsWith(this.dataDir); d = dirname(d)) {
      const mode = (await stat(d)).mode & 0o7777;
      if (!(mode & 0o001)) await chmod(d, mode | 0o011);
      if (d === this.dataDir || d === dirname(d)) break;
    }
  }

  async read(name: string): Promise<StackState | null> {
    try {
      return JSON.parse(await readFile(this.file(name), 'utf8')) as StackState;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Creates the state file only if it does not exist; false when another create got there first. */
  async createExclusive(state: StackState): Promise<boolean> {
    try {
      const fh = await open(this.file(state.name), 'wx', 0o600);
      await fh.writeFile(JSON.stringify(state, null, 2));
      await fh.close();
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
  }

  async write(state: StackState): Promise<void> {
    const tmp = `${this.file(state.name)}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(state, null, 2), { mode: 0o600 });
    await rename(tmp, this.file(state.name));
  }

  async remove(name: string): Promise<void> {
    await rm(this.file(name), { force: true });
  }

  async list(): Promise<StackState[]> {
    const out: StackState[] = [];
    for (const f of await readdir(this.stacksDir).catch(() => [] as string[])) {
      if (!f.endsWith('.json')) continue;
      const s = await this.read(f.slice(0, -5)).catch(() => null);
      if (s) out.push(s);
    }
    return out;
  }

  /** Reserves `value` for `owner`; false when someone else holds it. */
  async reserve(kind: ReservationKind, value: string, owner: string): Promise<boolean> {
    const path = join(this.reservationDir(kind), value);
    try {
      await writeFile(path, owner, { flag: 'wx' });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      return (await readFile(path, 'utf8').catch(() => '')) === owner;
    }
  }

  async reservationsOf(kind: ReservationKind, owner: string): Promise<string[]> {
    const dir = this.reservationDir(kind);
    const out: string[] = [];
    for (const f of await readdir(dir).catch(() => [] as string[])) if ((await readFile(join(dir, f), 'utf8').catch(() => '')) === owner) out.push(f);
    return out;
  }

  async release(kind: ReservationKind, value: string): Promise<void> {
    await rm(join(this.reservationDir(kind), value), { force: true });
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
