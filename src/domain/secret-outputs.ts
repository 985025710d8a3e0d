/**
 * Which stack outputs are secret: they are sealed with the stack's key and password and never sent by
 * any API. `private_key` and `password` always are; so is every output a lab lists in `secret_outputs`,
 * and, unless the lab lists it in `public_outputs`, every output whose name looks like a secret
 * (password, passphrase, secret, token, key, credential...), since an author who forgot to declare
 * one should not have it shown to the learner or sent to an LMS.
 */
export const ALWAYS_SECRET = ['private_key', 'password'] as const;

/** Words that make an output name look secret, as whole words of a snake_case / kebab / camelCase name. */
const SECRET_WORDS = /(^|[_\-.\s])(pass|passwd|password|passphrase|pwd|secret|secrets|token|tokens|key|keys|privkey|credential|credentials|cred|creds|auth|cookie|session|apikey|seed)([_\-.\s]|$)/i;

export interface OutputPolicy {
  secretOutputs?: string[];
  publicOutputs?: string[];
}

function words(name: string): string {
  // camelCase to snake_case, so adminPassword reads as admin_password.
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2');
}

export function looksSecret(name: string): boolean {
  return SECRET_WORDS.test(words(name));
}

export function isSecretOutput(name: string, lab: OutputPolicy = {}): boolean {
  if ((ALWAYS_SECRET as readonly string[]).includes(name)) return true;
  if (lab.secretOutputs?.includes(name)) return true;
  if (lab.publicOutputs?.includes(name)) return false;
  return looksSecret(name);
}

/** The outputs split into what may be shown and what must be sealed. */
export function splitOutputs(outputs: Record<string, unknown>, lab: OutputPolicy = {}): { visible: Record<string, unknown>; secret: Record<string, unknown> } {
  const visible: Record<string, unknown> = {};
  const secret: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(outputs)) {
    if (isSecretOutput(name, lab)) secret[name] = value;
    else visible[name] = value;
  }
  return { visible, secret };
}
