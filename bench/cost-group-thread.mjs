// A worker thread's entry for bench/cost-group-thread.ts: on Node 20 a thread does not inherit the
// parent's tsx hooks (nor take them from execArgv before its entry loads), so it registers them first.
import { register } from 'tsx/esm/api';

register();
await import('./cost-group-thread.ts');
