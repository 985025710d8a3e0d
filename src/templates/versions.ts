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
  return RELEASE_NAMES[value];
}

export function atLeast(version: string, since: string): boolean {
  return version >= since;
}

/** Intrinsic functions of property/output values: the version each appeared in (and, for CFN ones, left). */
export const VALUE_FUNCTIONS: Record<string, { since: string; until?: string }> = {
  get_param: { since: '2013-05-23' },
  get_resource: { since: '2013-05-23' },
  get_attr: { since: '2013-05-23' },
  get_file: { since: '2013-05-23' },
  list_join: { since: '2013-05-23' },
  str_replace: { since: '2013-05-23' },
  resource_facade: { since: '2013-05-23' },
  digest: { since: '2015-04-30' },
  repeat: { since: '2015-04-30' },
  str_split: { since: '2015-10-15' },
  map_merge: { since: '2016-04-08' },
  if: { since: '2016-10-14' },
  map_replace: { since: '2016-10-14' },
  yaql: { since: '2016-10-14' },
  filter: { since: '2017-02-24' },
  str_replace_strict: { since: '2017-02-24' },
  make_url: { since: '2017-09-01' },
  list_concat: { since: '2017-09-01' },
  list_concat_unique: { since: '2017-09-01' },
  contains: { since: '2017-09-01' },
  str_replace_vstrict: { since: '2018-03-02' },
  'Fn::Select': { since: '2013-05-23', until: '2015-04-30' },
  'Fn::GetAZs': { since: '2013-05-23', until: '2013-05-23' },
  'Fn::Join': { since: '2013-05-23', until: '2013-05-23' },
  'Fn::Split': { since: '2013-05-23', until: '2013-05-23' },
  'Fn::Replace': { since: '2013-05-23', until: '2013-05-23' },
  'Fn::Base64': { since: '2013-05-23', until: '2013-05-23' },
  'Fn::MemberListToMap': { since: '2013-05-23', until: '2013-05-23' },
  'Fn::ResourceFacade': { since: '2013-05-23', until: '2013-05-23' },
  Ref: { since: '2013-05-23', until: '2013-05-23' },
};

/** Functions allowed inside the `conditions` section and a resource's or output's `condition`. */
export const CONDITION_FUNCTIONS: Record<string, { since: string }> = {
  get_param: { since: '2016-10-14' },
  equals: { since: '2016-10-14' },
  not: { since: '2016-10-14' },
  and: { since: '2016-10-14' },
  or: { since: '2016-10-14' },
  contains: { since: '2017-09-01' },
  yaql: { since: '2017-09-01' },
};

/** Functions stacklab's own evaluator cannot run (Heat can); the local runtime refuses them by name. */
export const NOT_EVALUATED: Record<string, string> = {
  yaql: 'yaql expressions are not supported by the local runtime; use the other intrinsic functions',
  resource_facade: 'resource_facade only works in nested stacks, which the local runtime does not run',
};

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
