/**
 * What the campaign mutates: the project's own labs (template, environment and the parameters
 * `stacklab validate` gives them, read with the same loader), the template fixtures of the tests,
 * and a few seeds of its own that use the resource types no lab uses yet, so that every handler
 * of the local runtime's planner is reached.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLab } from '../../src/labs/load-labs.ts';

export interface Seed {
  /** Where it comes from, for the report. */
  name: string;
  template: string;
  environment?: string;
  parameters: Record<string, unknown>;
}

const REPO = fileURLToPath(new URL('../../', import.meta.url));

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) return yamlFiles(path);
      return /\.ya?ml$/.test(entry) ? [path] : [];
    });
}

export function loadCorpus(): Seed[] {
  const seeds: Seed[] = [];
  const labs = join(REPO, 'labs');
  for (const id of readdirSync(labs).sort()) {
    const dir = join(labs, id);
    if (!existsSync(join(dir, 'lab.yaml'))) continue;
    // As `stacklab validate <lab folder>` does: one target per distinct provider template.
    const lab = loadLab(dir, { defaultProviders: ['default'] });
    const seen = new Set<string>();
    for (const p of lab.providers) {
      if (seen.has(p.templateFile)) continue;
      seen.add(p.templateFile);
      seeds.push({ name: `labs/${id}/${p.templateFile}`, template: p.template, environment: p.environment, parameters: { ...lab.parameters, run: 'validate' } });
    }
  }
  const fixtureDirs = ['test/fixtures/templates', 'test/lxc/fixtures', 'chaos/template-fuzz/seeds'];
  for (const dir of fixtureDirs) {
    for (const file of yamlFiles(join(REPO, dir))) {
      seeds.push({ name: relative(REPO, file), template: readFileSync(file, 'utf8'), parameters: {} });
    }
  }
  return seeds;
}
