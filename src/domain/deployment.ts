/**
 * A deployment is one stacklab installation: one store, shared by its serve and worker processes.
 * Its id goes into the name and the tag or metadata of every stack it creates, so deployments that
 * share a cloud project or a host tell their stacks apart. Short on purpose: it is part of names
 * that have length limits.
 */
export const DEPLOYMENT_ID_PATTERN = /^[a-z][a-z0-9]{3,11}$/;

export const DEPLOYMENT_ID_RULE = '4 to 12 lower-case letters or digits, starting with a letter';

export function isDeploymentId(value: string): boolean {
  return DEPLOYMENT_ID_PATTERN.test(value);
}

/**
 * The deployment `stacklab test` creates its stacks under: none of a server's, so no server's
 * reconciler takes a lab test's stack for its own zombie. No store may take this id.
 */
export const LAB_TEST_DEPLOYMENT = 'labtests';
