/**
 * HOT versions Heat accepts and what each one allows. Versions are kept as their date so that
 * "available since" is a string comparison; release names map to the date Heat maps them to.
 */

const DATED = [
  '2013-05-23',
  '2014-10-16',
  '2015-04-30',
  '2015-10-15',
  '2016-04-08',
  '2016-10-14',
  '2017-02-24',
  '2017-09-01',
  '2018-03-02',
  '2018-08-31',
  '2021-04-16',
] as const;

const RELEASE_NAMES: Record<string, string> = {
  newton: '2016-10-14',
  ocata: '2017-02-24',
  pike: '2017-09-01',
  queens: '2018-03-02',
  rocky: '2018-08-31',
  wallaby: '2021-04-16',
};

export const KNOWN_VERSIONS: readonly string[] = [...DATED, ...Object.keys(RELEASE_NAMES)];

/** The dated version for a `heat_template_version` value, or undefined when Heat does not know it. */
export function canonicalVersion(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if ((DATED as readonly string[]).includes(value)) return value;
  return Object.hasOwn(RELEASE_NAMES, value) ? RELEASE_NAMES[value] : undefined;
}

export function atLeast(version: string, since: string): boolean {
  return version >= since;
}

/** The intrinsic functions, with the versions that have each, are in functions/table.ts. */

export function sectionsFor(version: string): string[] {
  const base = ['heat_template_version', 'description', 'parameter_groups', 'parameters', 'resources', 'outputs'];
  return atLeast(version, '2016-10-14') ? [...base, 'conditions'] : base;
}

export function resourceKeysFor(version: string): string[] {
  const base = ['type', 'properties', 'metadata', 'depends_on', 'deletion_policy', 'update_policy'];
  return atLeast(version, '2016-10-14') ? [...base, 'condition', 'external_id'] : base;
}

export function outputKeysFor(version: string): string[] {
  return atLeast(version, '2016-10-14') ? ['description', 'value', 'condition'] : ['description', 'value'];
}

export const PARAMETER_KEYS = ['type', 'label', 'description', 'default', 'hidden', 'constraints', 'immutable', 'tags'];
export const PARAMETER_TYPES = ['string', 'number', 'json', 'comma_delimited_list', 'boolean'] as const;
export const DELETION_POLICIES = ['Delete', 'Retain', 'Snapshot'];
export const PSEUDO_PARAMETERS = ['OS::stack_name', 'OS::stack_id', 'OS::project_id'];
