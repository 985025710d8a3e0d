/**
 * `npm run chaos [-- campaign [flags]]`: the reliability campaigns (RELIABILITY.md). Each campaign is a
 * script of its own in this folder, run in a child process so a crash or a SIGKILL it provokes cannot take
 * the dispatcher with it. Without a name, lists the campaigns. A file that exports something is a part
 * a campaign imports (the crash fleet, the fault proxy), not a campaign.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const campaigns = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .filter((f) => !/^export /m.test(readFileSync(join(here, f), 'utf8')))
  .map((f) => f.replace(/\.ts$/, ''))
  .sort();
const [name, ...flags] = process.argv.slice(2);
if (!name || name === '--help') {
  console.log(`usage: npm run chaos -- <campaign> [flags]\ncampaigns: ${campaigns.join(', ')}\nEach prints its own flags with --help.`);
  process.exit(name ? 0 : 2);
}
if (!campaigns.includes(name)) {
  console.error(`no campaign named ${name}; campaigns: ${campaigns.join(', ')}`);
  process.exit(2);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', join(here, `${name}.ts`), ...flags], { stdio: 'inherit' });
process.exit(result.status ?? 1);
