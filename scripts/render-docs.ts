import { writeFileSync } from 'node:fs';
import { renderErrorDocs } from '../src/app/error-catalogue.ts';
import { renderConfigDocs } from '../src/config/render-docs.ts';

writeFileSync('docs/configuration.md', renderConfigDocs());
writeFileSync('docs/errors.md', renderErrorDocs());
console.log('wrote docs/configuration.md and docs/errors.md');
