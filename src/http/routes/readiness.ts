/**
 * What /readyz reports: whether this server can do its job and, when it cannot or only in part, what is
 * wrong in words an operator acts on. Not ready (503): the store does not answer, or no provider is
 * configured, so nothing can launch. Degraded (200, still serving): labs that did not load.
 */
import type { AppContext } from '../../app/context.ts';

export interface Readiness {
  status: 'ready' | 'degraded' | 'unavailable';
  store: string;
  providers: { name: string; kind: string }[];
  labs: number;
  /** One sentence per thing that is wrong, most serious first; empty when ready. */
  problems: string[];
  labsNotLoaded: { file: string; reason: string }[];
  labsWaitingForProvider: string[];
  notices: string[];
}

export async function readiness(ctx: AppContext): Promise<Readiness> {
  const problems: string[] = [];
  let storeDown = false;
  try {
    await ctx.db.query('SELECT 1');
  } catch (error) {
    storeDown = true;
    problems.push(`The store (${ctx.db.kind}) does not answer: ${(error as Error).message}`);
  }
  const providers = ctx.providers.list().map((p) => ({ name: p.name, kind: p.kind }));
  if (providers.length === 0) {
    const why = ctx.notices.length ? ctx.notices.join(' ') : 'No provider is configured (setting providers).';
    problems.push(`No provider can launch a lab. ${why} Configure an OpenStack cloud or enable the local runtime (docs/local-runtime.md).`);
  }
  const waiting = ctx.labErrors.filter((e) => e.waitingForProvider);
  const broken = ctx.labErrors.filter((e) => !e.waitingForProvider);
  if (waiting.length) problems.push(`${waiting.length} lab(s) wait for a provider: ${waiting.map((e) => e.waitingForProvider!.title).join(', ')}.`);
  if (broken.length) problems.push(`${broken.length} lab(s) did not load; fix their lab.yaml (\`stacklab validate\`) and restart: ${broken.map((e) => e.file).join(', ')}.`);
  const status = storeDown || providers.length === 0 ? 'unavailable' : problems.length ? 'degraded' : 'ready';
  return {
    status,
    store: ctx.db.kind,
    providers,
    labs: ctx.labs.list().length,
    problems,
    labsNotLoaded: broken.map((e) => ({ file: e.file, reason: e.message })),
    labsWaitingForProvider: waiting.map((e) => e.waitingForProvider!.title),
    notices: ctx.notices,
  };
}
