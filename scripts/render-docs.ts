import { writeFileSync } from 'node:fs';
import { renderConfigDocs, renderErrorDocs } from '../src/config/render-docs.ts';

writeFileSync('docs/configuration.md', renderConfigDocs());
writeFileSync('docs/errors.md', renderErrorDocs());
console.log('wrote docs/configuration.md and docs/errors.md');
