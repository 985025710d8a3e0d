/** Kept for the CLI's `validate --provider lxc` import path; the function lives in validate.ts. */
export { validateForLxc } from './validate.ts';
