/**
 * Whose is a provider stack? Every stack a deployment creates is named `stacklab-<deployment>-<rest>`
 * and carries the deployment as a tag (Heat) or in its metadata (the local runtime), so that two
 * deployments sharing one cloud project or one host can each find their own stacks and leave the
 * other's alone. Names from before deployments existed (`stacklab-<stack id>-<n>`) belong to no one
 * that can be told: they are recognised so that nobody mistakes them for their own zombies.
 */
export const STACK_NAME_PREFIX = 'stacklab-';

/** `stacklab-<12 characters of a stack id>-<generation>`: what stacklab named every stack before deployments. */
const LEGACY_NAME = /^stacklab-[a-z0-9]{12}-\d+$/;

/** The tag a Heat stack carries for its deployment (Heat tags are plain strings without commas). */
const TAG_PREFIX = 'stacklab-deployment-';

/** Every stack name of the deployment starts with this. */
export function deploymentPrefix(deployment: string): string {
  return `${STACK_NAME_PREFIX}${deployment}-`;
}

/** The provider stack name of generation `generation` of stacklab stack `stackId`. */
export function stackNameFor(deployment: string, stackId: string, generation: number): string {
  return `${deploymentPrefix(deployment)}${stackId}-${generation}`;
}

/** A name stacklab gave before deployments existed: whose it is cannot be told from it. */
export function isLegacyStackName(name: string): boolean {
  return LEGACY_NAME.test(name);
}

/** True when the name is one `deployment` gives (legacy names are nobody's, even when they share the prefix). */
export function isOwnStackName(name: string, deployment: string): boolean {
  const prefix = deploymentPrefix(deployment);
  return name.length > prefix.length && name.startsWith(prefix) && !isLegacyStackName(name);
}

export function deploymentTag(deployment: string): string {
  return `${TAG_PREFIX}${deployment}`;
}

/** The deployment a stack's tags name, if any. */
export function deploymentFromTags(tags: readonly string[] | null | undefined): string | undefined {
  const tag = tags?.find((t) => t.startsWith(TAG_PREFIX));
  return tag?.slice(TAG_PREFIX.length);
}
