/**
 * The stand-in VM of bench/pool-terminal-heat.bench.ts. Nova's fake driver (scripts/setup-openstack.sh)
 * boots nothing, so nothing answers SSH at a Heat server's address: one real container of the local
 * runtime (labs/single-server: Debian, sshd, the lab user `training` with passwordless sudo) answers
 * for every Heat stack of the bench, whose `public_ip` output points at it.
 *
 * On a real VM cloud-init installs the stack's public key at boot. Here `installKey` does it: the bench
 * calls it as soon as the stack's key pair is known (saved when Heat accepts the create, seconds before
 * CREATE_COMPLETE). The keys go to /etc/ssh/standin_keys (a second AuthorizedKeysFile), not to
 * ~/.ssh/authorized_keys: the personalization of a claim replaces that file with the learner's key, as
 * on a VM of its own, and must not lock out the pool's other stacks, which share this one server.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { makePlatformKeyPair } from '../src/services/platform-key-pair.ts';
import type { StackRef } from '../src/providers/provider.ts';
import { sshExec } from '../test/lxc/ssh.ts';
import { REPO, testProvider, uniqueName, waitFor } from '../test/lxc/support.ts';
import { removeProviderStacks } from './lab-world.ts';

export interface StandIn {
  host: string;
  /** Lets `publicKey` (OpenSSH one-line form) log in as `training`, as cloud-init would at boot. */
  installKey(publicKey: string): Promise<void>;
  /** Deletes the container (its deployment's only stack). */
  close(): Promise<void>;
}

/** The OpenSSH public line of a PEM private key (what Nova's key pair holds for the stack). */
export function publicLine(privateKey: string): string {
  const parsed = ssh2.utils.parseKey(privateKey);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error) throw new Error(`stand-in: unreadable private key: ${key instanceof Error ? key.message : 'none'}`);
  return `${key.type} ${key.getPublicSSH().toString('base64')}`;
}

export async function startStandIn(deployment: string): Promise<StandIn> {
  const provider = testProvider({}, deployment);
  const stale = await removeProviderStacks(provider, deployment);
  if (stale) console.error(`# stand-in: removed ${stale} containers a previous run of ${deployment} left`);
  const admin = await makePlatformKeyPair('bench-standin');
  const ref: StackRef = { id: '', name: uniqueName('standin', deployment) };
  const close = async () => {
    await provider.delete(ref).catch(() => undefined);
    await removeProviderStacks(provider, deployment);
    await provider.close?.();
  };
  try {
    const created = await provider.create({
      name: ref.name,
      deployment,
      template: readFileSync(join(REPO, 'labs', 'single-server', 'template.yaml'), 'utf8'),
      parameters: { stacklab_public_key: admin.publicKey },
      timeoutSeconds: 300,
    });
    ref.id = created.id;
    const stack = await waitFor(provider, ref, 'CREATE', 300_000);
    const host = String(stack.outputs.public_ip ?? '');
    if (stack.status !== 'COMPLETE' || !host) throw new Error(`stand-in: the container did not come up: ${stack.status} ${stack.reason ?? ''}`);
    const login = { host, username: 'training', privateKey: admin.privateKey };
    // The bench's own key goes in the second file too, so it still gets in after a personalization.
    const setup = [
      `printf '%s\\n' '${publicLine(admin.privateKey)}' | sudo tee /etc/ssh/standin_keys >/dev/null`,
      `echo 'AuthorizedKeysFile .ssh/authorized_keys /etc/ssh/standin_keys' | sudo tee /etc/ssh/sshd_config.d/standin.conf >/dev/null`,
      'sudo systemctl reload ssh',
    ].join(' && ');
    for (let attempt = 0; ; attempt++) {
      const r = await sshExec(login, setup, 30_000).catch((e: Error) => ({ code: -1, stderr: e.message, stdout: '' }));
      if (r.code === 0) break;
      if (attempt >= 30) throw new Error(`stand-in: set-up failed: ${r.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    return {
      host,
      async installKey(publicKey: string) {
        if (!/^[\w@.-]+ [A-Za-z0-9+/=]+$/.test(publicKey)) throw new Error(`stand-in: not an OpenSSH public key: ${publicKey.slice(0, 40)}`);
        const r = await sshExec(login, `printf '%s\\n' '${publicKey}' | sudo tee -a /etc/ssh/standin_keys >/dev/null`, 30_000);
        if (r.code !== 0) throw new Error(`stand-in: installing a key failed: ${r.stderr}`);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
