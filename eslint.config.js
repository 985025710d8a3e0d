import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layering of src/, lowest first: a folder may import only the folders listed for it (and its own
 * files). It follows the data path in README's "Architecture": http/ and gateway/ serve requests,
 * lti/ and checks/ are features below them, services/ are the only writers of stack state, db/ and
 * providers/ are what services drive, infra/ (clock, keys, events), errors/ and domain/ are used by all.
 * app/ (the composition root) and cli/ sit on top. `app/context.ts` is the one file of app/ the edges
 * (http/, gateway/) may take: the context they are handed.
 */
const LAYERS = {
  domain: [],
  errors: ['domain'],
  infra: ['domain', 'errors'],
  config: ['domain', 'errors', 'infra'],
  templates: ['domain', 'errors'],
  labs: ['domain', 'errors', 'infra', 'config', 'templates'],
  db: ['domain', 'errors', 'infra', 'config'],
  ssh: ['domain', 'errors', 'infra'],
  providers: ['domain', 'errors', 'infra', 'config', 'templates'],
  recordings: ['domain', 'errors', 'infra', 'config', 'db'],
  services: ['domain', 'errors', 'infra', 'config', 'templates', 'labs', 'db', 'providers'],
  checks: ['domain', 'errors', 'infra', 'config', 'templates', 'labs', 'db', 'providers', 'ssh', 'services'],
  lti: ['domain', 'errors', 'infra', 'config', 'labs', 'db', 'services'],
  jobs: ['domain', 'errors', 'infra', 'config', 'db', 'providers', 'services', 'checks', 'lti'],
  gateway: ['domain', 'errors', 'infra', 'config', 'ssh', 'services', 'recordings', 'app/context'],
  http: ['domain', 'errors', 'infra', 'config', 'labs', 'services', 'checks', 'lti', 'gateway', 'recordings', 'app/context'],
  app: ['domain', 'errors', 'infra', 'config', 'templates', 'labs', 'db', 'ssh', 'providers', 'services', 'checks', 'lti', 'jobs', 'gateway', 'recordings'],
  cli: null, // the top: anything
};
const FOLDERS = Object.keys(LAYERS);

function layerRule(folder) {
  const allowed = LAYERS[folder];
  const forbidden = FOLDERS.filter((f) => f !== folder && !allowed.includes(f));
  const patterns = [];
  if (forbidden.length) {
    const onlyContext = allowed.includes('app/context') && forbidden.includes('app');
    const names = forbidden.filter((f) => !(onlyContext && f === 'app'));
    if (names.length) patterns.push({ regex: `^(\\.\\./)+(${names.join('|')})/`, message: `src/${folder}/ may import only ${allowed.join(', ') || 'domain/'} of src/ (see the layering in eslint.config.js).` });
    if (onlyContext) patterns.push({ regex: '^(\\.\\./)+app/(?!context\\.ts$)', message: `src/${folder}/ may take app/context.ts, nothing else of the composition root.` });
  }
  return { files: [`src/${folder}/**/*.ts`], rules: { 'no-restricted-imports': ['error', { patterns }] } };
}

export default tseslint.config(
  { ignores: ['node_modules', 'dist', 'data', 'web/dist', '.stacklab', 'coverage'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  ...FOLDERS.filter((f) => LAYERS[f] !== null).map(layerRule),
);
