/** Renders docs/configuration.md from the schema (docs/errors.md: src/app/error-catalogue.ts). */
import { z } from 'zod';
import { TOOL_VARIABLES } from './load-config.ts';
import { SETTINGS } from './schema.ts';

function defaultOf(schema: z.ZodType): string {
  const parsed = schema.safeParse(undefined);
  if (!parsed.success || parsed.data === undefined) return '—';
  return `\`${String(parsed.data)}\``;
}

export function renderConfigDocs(): string {
  const rows = SETTINGS.map((s) => `| \`${s.key}\` | \`${s.env}\` | ${defaultOf(s.schema)} | ${s.description}${s.secret ? ' (secret: never logged)' : ''} |`);
  return [
    '# Configuration',
    '',
    '<!-- generated from src/config/schema.ts by `npm run docs`; a test fails when this file drifts -->',
    '',
    'Settings come from, highest first: command-line flags, environment variables, the YAML config file',
    '(`--config FILE` or `STACKLAB_CONFIG`, keys as in the first column, plus `providers:` as a list and `lti:`),',
    'then the defaults. Unknown keys and unknown `STACKLAB_*` variables are refused at start with their name.',
    '',
    '| key | environment variable | default | meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
    'Variables read by the command-line tools and the tests, not by the server:',
    '',
    ...Object.entries(TOOL_VARIABLES).map(([name, what]) => `- \`${name}\`: ${what}`),
    '',
  ].join('\n');
}
