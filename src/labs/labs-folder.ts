/**
 * The labs folder: `labs_dir` from the working directory. When it is the default (`labs`) and there is no
 * such folder there, the sample labs shipped with stacklab, so that `stacklab serve --demo` started from
 * anywhere by an installed package has labs to offer, as it has in a checkout.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { INSTALL_ROOT } from '../infra/install-root.ts';

const DEFAULT_LABS_DIR = 'labs';

export function labsFolder(labsDir: string): string {
  const given = resolve(labsDir);
  return labsDir === DEFAULT_LABS_DIR && !existsSync(given) ? join(INSTALL_ROOT, 'labs') : given;
}
