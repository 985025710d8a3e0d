/**
 * The files a template reads, found the way python-heatclient's template_utils finds them before it
 * sends a template to Heat: every `get_file` with a literal name and every resource type that names
 * a template (`type: ./secret.yaml`, also through the environment's resource_registry) is a path or a
 * `file:` URL joined onto the folder of the file that names it (urljoin onto `file:///folder/`), and
 * nested templates are searched in turn, from their own folder.
 *
 * Unlike heatclient, which reads anything the user can read, a lab may only read inside its own
 * folder: a name that leads out of it (`../..`, an absolute path, a symlink) is refused. `http(s)`
 * names are left to Heat, which fetches them itself. The files are keyed by the name as written,
 * which is how Heat looks them up in the `files` it is given.
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isTemplateResourceType } from '../templates/resource-types.ts';
import { isPlainObject, readYaml } from '../templates/yaml-source.ts';

export interface NestedTemplate {
  /** The name the parent uses (`./secret.yaml`), and the file it is. */
  name: string;
  path: string;
  text: string;
  /** The files the nested template itself reads, from its own folder. */
  files: TemplateFiles;
}

export interface TemplateFiles {
  /** Contents by the name the template uses. */
  files: Record<string, string>;
  /** Why a name could not be read, by that name (for the problem at the place that uses it). */
  unreadable: Record<string, string>;
  nested: NestedTemplate[];
}

const MAX_DEPTH = 5;

/**
 * Files read by the template at `path` (and, when given, by its environment at `environmentPath`),
 * none outside `root`.
 */
export function templateFiles(text: string, path: string, root: string, environment?: { text: string; path: string }): TemplateFiles {
  const lexical = resolve(root);
  return gather(text, resolve(path), { lexical, real: existsSync(lexical) ? realpathSync(lexical) : lexical }, environment && { text: environment.text, path: resolve(environment.path) }, [resolve(path)], 0);
}

/** The lab folder as named (for `..` and absolute names) and as it really is (for links). */
interface Root {
  lexical: string;
  real: string;
}

function gather(text: string, path: string, root: Root, environment: { text: string; path: string } | undefined, chain: string[], depth: number): TemplateFiles {
  const out: TemplateFiles = { files: {}, unreadable: {}, nested: [] };
  const doc = readYaml(text).source?.value;
  const names = namesIn(doc);
  // Name -> the file its relative name is joined onto (heatclient: the template's or the environment's base URL).
  const templateNames = new Map<string, string>([...names.templates].map((n) => [n, path]));
  if (environment) {
    const env = readYaml(environment.text).source?.value;
    const registry = isPlainObject(env) && isPlainObject(env.resource_registry) ? env.resource_registry : {};
    // heatclient honours `base_url` in the registry (and per resource), a folder the names are joined onto.
    const base = (v: unknown, fallback: string) => (typeof v === 'string' ? join(fileBase(v, dirname(environment.path)), 'environment') : fallback);
    const global = base(registry.base_url, environment.path);
    for (const [k, v] of Object.entries(registry)) {
      if (typeof v === 'string' && k !== 'base_url' && isTemplateResourceType(v)) templateNames.set(v, global);
      if (k !== 'resources' || !isPlainObject(v)) continue;
      for (const overrides of Object.values(v)) {
        if (!isPlainObject(overrides)) continue;
        const own = base(overrides.base_url, global);
        for (const [t, target] of Object.entries(overrides)) if (t !== 'base_url' && typeof target === 'string' && isTemplateResourceType(target)) templateNames.set(target, own);
      }
    }
  }
  for (const name of names.getFile) {
    const read = readNamed(name, path, root);
    if ('text' in read) out.files[name] = read.text;
    else if (read.why) out.unreadable[name] = read.why;
  }
  for (const [name, from] of templateNames) {
    const read = readNamed(name, from, root);
    if (!('text' in read)) {
      if (read.why) out.unreadable[name] = read.why;
      continue;
    }
    out.files[name] = read.text;
    if (chain.includes(read.path) || depth >= MAX_DEPTH) {
      out.unreadable[name] = `the nested template ${shown(read.path, root.lexical)} uses itself (${[...chain, read.path].map((p) => shown(p, root.lexical)).join(' -> ')})`;
      delete out.files[name];
      continue;
    }
    out.nested.push({ name, path: read.path, text: read.text, files: gather(read.text, read.path, root, undefined, [...chain, read.path], depth + 1) });
  }
  return out;
}

/** Every file found, the nested templates' own included: what goes to Heat as `files`. */
export function allFiles(found: TemplateFiles): Record<string, string> {
  return Object.assign({}, found.files, ...found.nested.map((n) => allFiles(n.files)));
}

/**
 * Literal `get_file` arguments, and `type` values naming templates, anywhere in the document: like
 * heatclient, which also finds the `type` of a ResourceGroup's `resource_def`.
 */
function namesIn(value: unknown, found = { getFile: new Set<string>(), templates: new Set<string>() }) {
  if (Array.isArray(value)) for (const v of value) namesIn(v, found);
  else if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'get_file' && typeof v === 'string') found.getFile.add(v);
      else if (k === 'type' && typeof v === 'string' && isTemplateResourceType(v)) found.templates.add(v);
      else namesIn(v, found);
    }
  }
  return found;
}

/** A `base_url` as a folder: a path or file: URL, relative to `folder`. */
function fileBase(baseUrl: string, folder: string): string {
  try {
    const url = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`, pathToFileURL(folder + sep));
    return url.protocol === 'file:' ? fileURLToPath(url) : folder;
  } catch {
    return folder;
  }
}

/** Reads a name as heatclient would join it onto the folder of `from`; `why` is unset for remote names Heat fetches itself. */
function readNamed(name: string, from: string, root: Root): { text: string; path: string } | { why?: string } {
  if (/^https?:\/\//i.test(name)) return {};
  let target: string;
  try {
    const url = new URL(name, pathToFileURL(dirname(from) + sep));
    if (url.protocol !== 'file:') return { why: `"${name}" is a ${url.protocol} URL: a lab's files are paths or file: URLs inside its folder` };
    target = fileURLToPath(url);
  } catch {
    return { why: `"${name}" is not a file name or file: URL` };
  }
  const where = shown(target, root.lexical);
  if (!inside(target, root.lexical)) return { why: `"${name}" points outside the lab folder (${where}): a template may only read files inside its lab folder` };
  if (!existsSync(target)) return { why: `the file "${name}" was not found (looked for ${where})` };
  const real = realpathSync(target);
  if (!inside(real, root.real)) return { why: `"${name}" is a link to a file outside the lab folder: a template may only read files inside its lab folder` };
  if (!statSync(real).isFile()) return { why: `"${name}" is not a file (${where})` };
  return { text: readFileSync(real, 'utf8'), path: target };
}

function inside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel);
}

/** A path as an author reads it: relative to the lab folder when inside it. */
function shown(path: string, root: string): string {
  return inside(path, root) ? relative(root, path) : path;
}
