/**
 * Tests that need a real part (root, lxc, PostgreSQL, Heat, Chromium) call `prerequisite`.
 * On a newcomer's machine a missing part skips the test and says why; under CI (`CI=true`) it is
 * a failure, because .ci/run installs every part and a skip there would hide a broken install.
 */
import type { TestContext } from 'node:test';

export const IN_CI = process.env.CI === 'true';

/** Returns true when the test may go on; otherwise skips it (or fails it under CI). */
export function prerequisite(t: TestContext, present: boolean, why: string): boolean {
  if (present) return true;
  if (IN_CI) throw new Error(`prerequisite missing under CI: ${why}`);
  t.skip(`skipped: ${why}`);
  console.error(`# skipped ${t.name}: ${why}`);
  return false;
}

/** The same decision for a whole `describe` block: returns a skip reason, or false to run. */
export function skipUnless(present: boolean, why: string): string | false {
  if (present) return false;
  if (IN_CI) throw new Error(`prerequisite missing under CI: ${why}`);
  console.error(`# skipped: ${why}`);
  return why;
}

export const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;
