/**
 * Loads labs from a labs folder: `<dir>/<lab-id>/lab.yaml` + HOT template (+ optional environment file).
 * Every problem names the file, the field and the reason, so an author can fix it without guessing.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { DEFAULT_PORTS, type Lab, type LabCheck } from '../domain/lab.ts';
import type { LabPool } from '../domain/pool.ts';
import { parseTemplate } from '../templates/parse.ts';
import { labFileSchema, type LabFile } from './lab-schema.ts';
import { allFiles, templateFiles } from './template-files.ts';

export class LabError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
    /**
     * Set when the lab is fine but no provider is there to run it (no runtime on this host and none
     * named in lab.yaml): its title, so a page can list it as waiting for a provider.
     */
    readonly waitingForProvider?: { title: string },
  ) {
    super(`${file}: ${problems.join('; ')}`);
    this.name = 'LabError';
  }
}

export interface LoadOptions {
  /** Providers a lab runs on when its lab.yaml names none. */
  defaultProviders: string[];
}

const LAB_ID = /^[a-z0-9][a-z0-9-_]{0,62}$/;

function zodProblems(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const field = issue.path.length ? issue.path.join('.') : '(top level)';
    return `field '${field}': ${issue.message}`;
  });
}

function readLabFile(dir: string, name: string, field: string, problems: string[]): string | undefined {
  const path = resolve(dir, name);
  if (!path.startsWith(resolve(dir) + '/')) {
    problems.push(`field '${field}': '${name}' points outside the lab folder`);
    return undefined;
  }
  if (!existsSync(path)) {
    problems.push(`field '${field}': file '${name}' not found in ${dir}`);
    return undefined;
  }
  return readFileSync(path, 'utf8');
}

/**
 * Translations of the instructions file: `instructions.de.md`, `instructions.pt-BR.md` beside
 * `instructions.md`, keyed by their language tag.
 */
function readTranslations(dir: string, name: string, problems: string[]): Record<string, { text: string; file: string }> | undefined {
  const match = /^(.*)\.(md|markdown)$/i.exec(name);
  if (!match) return undefined;
  const folder = resolve(dir, name, '..');
  if (!folder.startsWith(resolve(dir)) || !existsSync(folder)) return undefined;
  const prefix = basename(match[1]) + '.';
  const found: Record<string, { text: string; file: string }> = {};
  for (const entry of readdirSync(folder)) {
    const tag = entry.startsWith(prefix) ? /^([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)\.(md|markdown)$/i.exec(entry.slice(prefix.length))?.[1] : undefined;
    if (!tag) continue;
    const file = join(match[1].slice(0, match[1].length - basename(match[1]).length), entry);
    const text = readLabFile(dir, file, 'instructions', problems);
    if (text !== undefined) found[tag] = { text, file };
  }
  return Object.keys(found).length ? found : undefined;
}

/** A script is either inline text with a shebang or a file name in the lab folder. */
function readScript(dir: string, value: string, field: string, problems: string[]): string | undefined {
  const text = value.startsWith('#!') ? value : readLabFile(dir, value, field, problems);
  if (text !== undefined && !text.startsWith('#!')) {
    problems.push(`field '${field}': the script must start with a shebang line such as '#!/bin/bash'`);
  }
  return text;
}

export function loadLab(dir: string, options: LoadOptions): Lab {
  const id = basename(dir);
  const file = join(dir, 'lab.yaml');
  if (!LAB_ID.test(id)) {
    throw new LabError(file, [`the folder name '${id}' is the lab id: use lower-case letters, digits, '-' and '_'`]);
  }
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new LabError(file, [`not valid YAML: ${(error as Error).message}`]);
  }
  const parsed = labFileSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new LabError(file, zodProblems(parsed.error));
  return toLab(id, dir, file, parsed.data, options);
}

function toLab(id: string, dir: string, file: string, data: LabFile, options: LoadOptions): Lab {
  const problems: string[] = [];
  const template = readLabFile(dir, data.template, 'template', problems) ?? '';
  const environment = data.environment ? readLabFile(dir, data.environment, 'environment', problems) : undefined;
  const declared: Array<{ name: string; capacity: number; template?: string; environment?: string }> =
    data.providers ?? options.defaultProviders.map((name) => ({ name, capacity: -1 }));
  const providers = declared.map((p, i) => {
    const templateFile = p.template ?? data.template;
    const environmentFile = p.environment ?? data.environment;
    const entry = {
      name: p.name,
      capacity: p.capacity,
      templateFile,
      template: p.template ? (readLabFile(dir, p.template, `providers.${i}.template`, problems) ?? '') : template,
      environment: p.environment ? readLabFile(dir, p.environment, `providers.${i}.environment`, problems) : environment,
    };
    // What cannot be read is left out here and named by `stacklab validate` (and refused by the provider).
    const env = entry.environment !== undefined && environmentFile ? { text: entry.environment, path: join(dir, environmentFile) } : undefined;
    const files = allFiles(templateFiles(entry.template, join(dir, templateFile), dir, env));
    return Object.keys(files).length ? { ...entry, files } : entry;
  });
  if (providers.length === 0) problems.push(`field 'providers': the lab needs at least one provider`);
  const checks: LabCheck[] = data.checks.map((c, i) => ({
    title: c.title ?? `Check ${i + 1}`,
    script: readScript(dir, c.script, `checks.${i}.script`, problems) ?? '',
    hint: c.hint,
    weight: c.weight,
    server: c.server,
  }));
  const solution = data.solution ? readScript(dir, data.solution, 'solution', problems) : undefined;
  const hookScript = data.hook_script ? readScript(dir, data.hook_script, 'hook_script', problems) : undefined;
  if (data.hook_events.length > 0 && !hookScript) problems.push(`field 'hook_events': set 'hook_script' too`);
  const pool = data.pool ? toPool(data.pool, template, dir, problems) : undefined;
  const instructions = data.instructions ? readLabFile(dir, data.instructions, 'instructions', problems) : undefined;
  const translatedInstructions = data.instructions ? readTranslations(dir, data.instructions, problems) : undefined;
  if (problems.length) throw new LabError(file, problems, providers.length === 0 && problems.length === 1 ? { title: data.title } : undefined);
  return {
    id,
    dir,
    title: data.title,
    description: data.description,
    template,
    templateFile: data.template,
    environment,
    parameters: data.parameters,
    user: data.user,
    protocol: data.protocol,
    port: data.port ?? DEFAULT_PORTS[data.protocol],
    ports: data.ports,
    providers,
    timeouts: {
      launch: data.timeouts.launch,
      suspend: data.timeouts.suspend,
      deleteAge: data.timeouts.delete_age,
      ...(data.timeouts.shelve_after !== undefined ? { shelveAfter: data.timeouts.shelve_after } : {}),
      check: data.timeouts.check,
      remoteExec: data.timeouts.remote_exec,
      ...(data.timeouts.idle !== undefined ? { idle: data.timeouts.idle } : {}),
      ...(data.timeouts.departure !== undefined ? { departure: data.timeouts.departure } : {}),
      ...(data.timeouts.output_activity !== undefined ? { outputActivity: data.timeouts.output_activity } : {}),
    },
    checks,
    solution,
    hookScript,
    hookEvents: data.hook_events,
    readOnly: data.read_only,
    recordTerminal: data.record_terminal,
    hidden: data.hidden,
    fullscreen: data.fullscreen,
    instructions,
    instructionsFile: data.instructions,
    ...(translatedInstructions ? { translatedInstructions } : {}),
    instructionsLayout: data.instructions_layout,
    terminal: { font: data.terminal.font, fontSize: data.terminal.font_size, colorScheme: data.terminal.color_scheme },
    progressCheckLabel: data.progress_check_label,
    progressCheckResultHeading: data.progress_check_result_heading,
    showFeedback: data.show_feedback,
    showHintsOnError: data.show_hints_on_error,
    gradePolicy: data.grade_policy,
    allowInternet: data.allow_internet,
    secretOutputs: data.secret_outputs,
    publicOutputs: data.public_outputs,
    ...(data.usage_limit ? { usageLimit: data.usage_limit } : {}),
    ...(pool ? { pool } : {}),
  };
}

/** The pool setting: per course run when the template takes `run` (then the runs must be listed). */
function toPool(data: NonNullable<LabFile['pool']>, template: string, dir: string, problems: string[]): LabPool {
  const perRun = templateTakesRun(template);
  if (perRun && data.size > 0 && data.runs.length === 0) problems.push(`field 'pool.runs': the template takes the 'run' parameter, so list the course runs to keep a pool for`);
  if (!perRun && data.runs.length > 0) problems.push(`field 'pool.runs': the template does not take the 'run' parameter; one pool serves every course run, leave 'runs' out`);
  const personalize = data.personalize ? readScript(dir, data.personalize, 'pool.personalize', problems) : undefined;
  return { size: data.size, state: data.state, perRun, runs: perRun ? data.runs : [], ...(personalize ? { personalize } : {}) };
}

/** Whether the template declares the `run` parameter (a template that does not parse is named by validate). */
function templateTakesRun(template: string): boolean {
  try {
    return 'run' in parseTemplate(template).parameters;
  } catch {
    return false;
  }
}

export interface LoadedLabs {
  labs: Map<string, Lab>;
  errors: LabError[];
}

/** Loads every lab folder; a broken lab is reported and skipped so the others still serve. */
export function loadLabs(labsDir: string, options: LoadOptions): LoadedLabs {
  const labs = new Map<string, Lab>();
  const errors: LabError[] = [];
  if (!existsSync(labsDir)) return { labs, errors };
  for (const entry of readdirSync(labsDir).sort()) {
    const dir = join(labsDir, entry);
    if (!statSync(dir).isDirectory() || !existsSync(join(dir, 'lab.yaml'))) continue;
    try {
      const lab = loadLab(dir, options);
      labs.set(lab.id, lab);
    } catch (error) {
      if (error instanceof LabError) errors.push(error);
      else throw error;
    }
  }
  return { labs, errors };
}
