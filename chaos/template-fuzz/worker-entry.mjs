// A worker thread does not get the parent's --import hooks before its entry loads: register tsx
// here, then load the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
