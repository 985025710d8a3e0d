/** The three-checks lab on the test `sshd` provider, with short timeouts. */
import type { Lab } from '../../../src/domain/lab.ts';
import { testLab } from '../../support/test-runtime.ts';
import { THREE_CHECKS } from './three-checks.ts';

export function checksLab(overrides: Partial<Lab> = {}): Lab {
  const template = 'heat_template_version: 2016-10-14\nresources: {}\n';
  return testLab({
    id: 'three',
    checks: THREE_CHECKS,
    providers: [{ name: 'sshd', capacity: -1, template, templateFile: 'template.yaml' }],
    timeouts: { launch: 60, suspend: 3600, deleteAge: 86400, check: 60, remoteExec: 20 },
    ...overrides,
  });
}
