/**
 * Personalization (docs/pools.md): makes a stack claimed from a warm pool the learner's, by running a
 * script in its jump host as the lab user, logged in with the pool's credentials, that installs the
 * learner's own public key (and nothing else: the pool's key stops working) and sets the new password.
 *
 * The script is the lab's `pool.personalize`, else the built-in one below. It gets
 * `personalize <run> <stack id>` as arguments and, on its standard input (never on a command line other
 * users of the server could read), three lines: the new public key, the new password, the learner id.
 * Unlike the lifecycle hooks it must succeed: a stack the learner cannot trust is not handed over.
 */
import type { Lab } from '../domain/lab.ts';
import type { Stack, StackSecrets } from '../domain/stack.ts';
import { runRemoteScript } from './remote-script.ts';
import { labSshTarget } from './ssh-target.ts';

export interface LearnerCredentials {
  publicKey: string;
  password: string;
}

/** The built-in personalization: the lab user's authorized_keys replaced, its password set with sudo. */
export const BUILTIN_PERSONALIZE = `#!/bin/sh
# stacklab's built-in personalization (docs/pools.md): stdin is the public key, the password, the learner.
set -eu
IFS= read -r key
IFS= read -r password
umask 077
mkdir -p "$HOME/.ssh"
printf '%s\\n' "$key" > "$HOME/.ssh/authorized_keys.stacklab"
mv "$HOME/.ssh/authorized_keys.stacklab" "$HOME/.ssh/authorized_keys"
printf '%s:%s\\n' "$(id -un)" "$password" | sudo -n chpasswd
`;

export class PersonalizeError extends Error {}

/** Runs the lab's personalization in the stack; throws PersonalizeError with the reason when it did not succeed. */
export async function personalize(lab: Lab, stack: Stack, poolSecrets: StackSecrets, fresh: LearnerCredentials): Promise<void> {
  if (!stack.publicIp) throw new PersonalizeError('the stack has no public_ip to reach');
  const target = labSshTarget(stack.publicIp, lab, poolSecrets);
  const timeoutMs = lab.timeouts.remoteExec * 1000;
  let timer: NodeJS.Timeout | undefined;
  try {
    const run = (async () =>
      runRemoteScript(await target.client(), lab.pool?.personalize ?? BUILTIN_PERSONALIZE, {
        timeoutMs,
        args: ['personalize', stack.run, stack.id],
        input: `${fresh.publicKey}\n${fresh.password}\n${stack.learner}\n`,
      }))();
    // The connect itself may hang (a frozen server): the limit covers the whole run, as for hooks.
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PersonalizeError(`personalization did not finish within ${lab.timeouts.remoteExec} s`)), timeoutMs + 10_000);
    });
    const result = await Promise.race([run, limit]);
    if (result.exitCode !== 0 || result.timedOut) {
      throw new PersonalizeError(`personalization failed (exit ${result.exitCode}${result.timedOut ? ', timed out' : ''}): ${result.stderr.trim().slice(0, 500)}`);
    }
  } catch (error) {
    if (error instanceof PersonalizeError) throw error;
    throw new PersonalizeError(`personalization could not run: ${(error as Error).message}`, { cause: error });
  } finally {
    clearTimeout(timer);
    target.close();
  }
}
