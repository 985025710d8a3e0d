/**
 * What the deploy tests share: podman through scripts/with-podman.sh (the settings this machine
 * needs), the image scripts/build-image.sh made, a PostgreSQL database of their own, and waiting for an
 * HTTP answer. The image is built by .ci/run before the tests (minutes, cached); a test never builds it.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { postgresAvailable, POSTGRES_URL } from '../support/databases.ts';
import { eventually } from '../support/eventually.ts';
import { IS_ROOT } from '../support/prerequisite.ts';

const run = promisify(execFile);
export const REPO = resolve(import.meta.dirname, '../..');
export const IMAGE = process.env.STACKLAB_IMAGE ?? 'localhost/stacklab:latest';
const WITH_PODMAN = resolve(REPO, 'scripts/with-podman.sh');

/** Runs a command with podman's settings for this machine; resolves with stdout, rejects with stderr. */
export async function withPodman(command: string, args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<string> {
  try {
    const { stdout } = await run(WITH_PODMAN, [command, ...args], { timeout: options.timeoutMs ?? 60_000, env: { ...process.env, ...options.env }, cwd: options.cwd ?? REPO, maxBuffer: 16 << 20 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

export const podman = (args: string[], timeoutMs?: number) => withPodman('podman', args, { timeoutMs });

/** Why the image tests cannot run here, or null when they can. */
export async function imageMissing(): Promise<string | null> {
  if (!IS_ROOT) return 'the image tests run as root (podman, as CI runs it)';
  try {
    await run('podman', ['--version']);
  } catch {
    return 'podman is not installed (apt-get install podman runc podman-compose debootstrap)';
  }
  const notBuilt = await imageNotBuilt(IMAGE, 'scripts/build-image.sh');
  if (notBuilt) return notBuilt;
  if (!(await postgresAvailable())) return `PostgreSQL does not answer at ${POSTGRES_URL}`;
  return null;
}

/** Why `image` cannot be used (not built: run `buildWith`), or null when podman has it. */
export function imageNotBuilt(image: string, buildWith: string): Promise<string | null> {
  return podman(['image', 'exists', image]).then(
    () => null,
    () => `the image ${image} is not built: run ${buildWith}`,
  );
}

/** A fresh database named `stacklab_image_<what>` (dropped first if a crashed run left it); returns its URL. */
export async function freshDatabase(what: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `stacklab_image_${what}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export { freePort } from '../support/free-port.ts';

export const token = () => randomBytes(18).toString('base64url');

/** Waits until `url` answers 200 (the server is up), or fails with the container's last log lines. */
export async function waitForOk(url: string, ms: number, logsOf?: string, headers: Record<string, string> = {}): Promise<Response> {
  try {
    return await eventually(async () => {
      try {
        const res = await fetch(url, { headers, signal: AbortSignal.timeout(2000) });
        return res.status === 200 ? res : undefined;
      } catch {
        return undefined;
      }
    }, ms, `200 from ${url}`);
  } catch (err) {
    // podman logs writes the container's stderr to its own: sh merges them.
    const logs = logsOf ? await withPodman('sh', ['-c', 'podman logs --tail 30 "$0" 2>&1', logsOf]).catch((e: Error) => e.message) : '';
    throw new Error(`${(err as Error).message}\n${logs}`, { cause: err });
  }
}
