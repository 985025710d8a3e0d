/**
 * YAML reading shared by templates and environments: the plain value plus a line index, so every
 * later check can say on which line the thing it complains about sits.
 *
 * Heat reads YAML 1.1 (PyYAML) but keeps dates as strings (so `heat_template_version: 2016-10-14`
 * stays a string); we do the same, so `yes`/`no`/`on`/`off` are booleans here exactly as in Heat.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node, type ScalarTag } from 'yaml';
import type { TemplateProblem } from './problems.ts';

export type PathPart = string | number;

export interface YamlSource {
  value: unknown;
  /** Line (1-based) of the node at `path`, or of the nearest ancestor the index knows. */
  lineOf(path: readonly PathPart[]): number | undefined;
  /** Line of exactly the node at `path`; undefined when there is none. */
  exactLineOf(path: readonly PathPart[]): number | undefined;
}

const BOOL = 'tag:yaml.org,2002:bool';

/** PyYAML's booleans: YAML 1.1's without y/n (which PyYAML, and so Heat, keeps as strings). */
function pyBool(value: boolean, test: RegExp): ScalarTag {
  return { tag: BOOL, default: true, identify: (v) => v === value, test, resolve: () => value, stringify: () => String(value) };
}

const key = (path: readonly PathPart[]) => JSON.stringify(path);

export function readYaml(text: string, file?: string): { source?: YamlSource; problems: TemplateProblem[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    version: '1.1',
    prettyErrors: false,
    customTags: (tags) => [
      ...tags.filter((t) => typeof t === 'object' && t.tag !== 'tag:yaml.org,2002:timestamp' && t.tag !== BOOL),
      pyBool(true, /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/),
      pyBool(false, /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/),
    ],
  });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => ({
      file,
      line: lineCounter.linePos(e.pos[0]).line,
      message: `invalid YAML: ${e.message.split('\n')[0]}`,
    }));
    return { problems };
  }
  const lines = new Map<string, number>();
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;

  const walk = (node: unknown, path: PathPart[]) => {
    if (!node || typeof node !== 'object') return;
    const n = node as Node;
    if (n.range && !lines.has(key(path))) lines.set(key(path), lineAt(n.range[0]));
    if (isMap(n)) {
      for (const pair of n.items) {
        if (!isPair(pair)) continue;
        const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const child = [...path, k];
        // A key's line is where an author looks for it, even when its value starts on the next line.
        const keyNode = pair.key as Node | null;
        if (keyNode?.range) lines.set(key(child), lineAt(keyNode.range[0]));
        if (pair.value && typeof pair.value === 'object' && !isScalar(pair.value)) walk(pair.value, child);
      }
    } else if (isSeq(n)) {
      n.items.forEach((item, i) => walk(item, [...path, i]));
    }
  };
  walk(doc.contents, []);

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    return { problems: [{ file, line: 1, message: `invalid YAML: ${(err as Error).message}` }] };
  }

  const lineOf = (path: readonly PathPart[]) => {
    for (let n = path.length; n >= 0; n--) {
      const found = lines.get(key(path.slice(0, n)));
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return { source: { value, lineOf, exactLineOf: (path) => lines.get(key(path)) }, problems: [] };
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'map';
  return typeof v;
}
