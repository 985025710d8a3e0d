/**
 * The outputs a lab's template must give for stacklab to reach the environment it makes:
 *  - `public_ip`: the address every connection goes to (services/operations.ts keeps it as the
 *    stack's public IP; the gateway, checks and hooks all start from it);
 *  - a login: `private_key` or `password` (ssh/lab-ssh.ts refuses a stack with neither), unless the
 *    template declares the `stacklab_public_key` parameter, in which case the platform makes the key
 *    pair and keeps the private half (services/platform-key-pair.ts);
 *  - `password` for RDP, which logs in to the desktop with it (gateway/rdp-session.ts).
 * Heat would create such a template happily; the lab would then fail at the learner's first click.
 */
import type { Lab } from '../domain/lab.ts';
import type { HotTemplate } from '../templates/parse.ts';
import type { TemplateProblem } from '../templates/problems.ts';

/** services/platform-key-pair.ts's PUBLIC_KEY_PARAMETER (labs/ sits below services/; a test keeps them equal). */
export const PUBLIC_KEY_PARAMETER = 'stacklab_public_key';

export function outputContractProblems(lab: Pick<Lab, 'protocol'>, template: HotTemplate, file: string | undefined): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  const has = (name: string) => Object.hasOwn(template.outputs, name);
  // Where an author adds an output: the outputs section, else the end of what is there.
  const line = template.lines.at(['outputs']) ?? 1;
  const missing = (output: string, why: string) => problems.push({ file, line, output, message: `the lab needs the output ${output}: ${why}` });
  if (!has('public_ip')) missing('public_ip', 'it is the address learners and checks connect to (give the floating IP or the server address of the jump host)');
  if (lab.protocol === 'rdp' && !has('password')) missing('password', 'an rdp lab logs learners in to the desktop with it');
  else if (!has('private_key') && !has('password') && !Object.hasOwn(template.parameters, PUBLIC_KEY_PARAMETER)) {
    missing('private_key', `stacklab logs in to the jump host with it (or give a password output, or declare the ${PUBLIC_KEY_PARAMETER} parameter to let the platform make the key pair)`);
  }
  return problems;
}
