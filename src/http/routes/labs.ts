import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import type { Lab } from '../../domain/lab.ts';
import { AppError } from '../../errors/api-errors.ts';
import { requireToken } from '../service-auth.ts';

/** What an LMS or tool may know of a lab: no template internals, no scripts. */
export function publicLab(lab: Lab) {
  return {
    id: lab.id,
    title: lab.title,
    description: lab.description,
    protocol: lab.protocol,
    providers: lab.providers.map((p) => ({ name: p.name, capacity: p.capacity })),
    checks: lab.checks.length,
    hidden: lab.hidden,
    timeouts: lab.timeouts,
  };
}

export function labRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', requireToken(ctx.config, 'service'));
    app.get('/labs', { schema: { tags: ['labs'], summary: 'List the loaded labs' } }, async () => ({ labs: ctx.labs.list().map(publicLab) }));
    app.get<{ Params: { id: string } }>('/labs/:id', { schema: { tags: ['labs'], summary: 'One lab' } }, async (request) => {
      const lab = ctx.labs.get(request.params.id);
      if (!lab) throw new AppError('LAB_NOT_FOUND', request.params.id);
      return publicLab(lab);
    });
  };
}
