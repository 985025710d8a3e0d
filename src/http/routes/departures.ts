/**
 * POST /api/v1/departures: the lab page's beacon when it goes away (pagehide: the tab closed, the page
 * left, the LMS navigated on). A beacon cannot carry an Authorization header, so the body is the
 * departure token the page was given (http/departure-token.ts), as text/plain (what sendBeacon sends
 * for a string) or as JSON `{"token": "..."}`. The stack then suspends after the lab's departure grace
 * unless another open page's keepalives or the learner's return come first.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import { idlenessOf } from '../../domain/idleness.ts';
import { AppError } from '../../errors/api-errors.ts';
import { verifyDepartureToken } from '../departure-token.ts';
import { sentence } from '../../errors/sentence.ts';

const MAX_TOKEN = 4096;

function tokenOf(body: unknown): string | undefined {
  const raw = typeof body === 'string' ? body : typeof body === 'object' && body !== null ? (body as { token?: unknown }).token : undefined;
  return typeof raw === 'string' && raw.length > 0 && raw.length <= MAX_TOKEN ? raw.trim() : undefined;
}

export function departureRoutes(ctx: AppContext) {
  return async function departurePlugin(app: FastifyInstance): Promise<void> {
    app.post('/api/v1/departures', { bodyLimit: MAX_TOKEN * 2 }, async (request, reply) => {
      const token = tokenOf(request.body);
      if (!token) throw new AppError('UNAUTHORIZED', 'departure: no departure token in the body', { message: sentence('error.UNAUTHORIZED.departureMissing') });
      let grant;
      try {
        grant = await verifyDepartureToken(ctx.keys, token);
      } catch (error) {
        throw new AppError('UNAUTHORIZED', `departure token refused: ${(error as Error).message}`, { message: sentence('error.UNAUTHORIZED.departureInvalid') });
      }
      const stack = await ctx.stacks.get(grant.stackId);
      if (stack.learner !== grant.learner) throw new AppError('STACK_NOT_FOUND', `departure: stack '${grant.stackId}' belongs to another learner`);
      const grace = idlenessOf(ctx.labs.get(stack.lab), ctx.config).departureGrace;
      await ctx.stacks.depart(stack.id, grace);
      request.log.debug({ stack: stack.id, grace }, 'lab page departed');
      return reply.code(204).send();
    });
  };
}
