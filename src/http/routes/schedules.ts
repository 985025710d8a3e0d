/**
 * Class schedules over HTTP (docs/pools.md, "Schedules"), for the operator (the API token): list a
 * course's class times, add one, remove one. The config file's classes are listed too, not removable.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import { MAX_LEAD_SECONDS } from '../../domain/class-schedule.ts';
import { classView } from '../../services/class-schedules.ts';
import { requireToken } from '../service-auth.ts';

const id = { type: 'string', minLength: 1, maxLength: 255 } as const;
const time = { type: 'string', format: 'date-time' } as const;

const CLASS_BODY = {
  type: 'object',
  required: ['course', 'start', 'end', 'learners'],
  additionalProperties: false,
  properties: {
    course: { ...id, description: 'The course: its LTI context id (an Open edX course key)' },
    lab: { ...id, description: 'One lab with a pool section; left out: every pooled lab of the course' },
    start: time,
    end: time,
    learners: { type: 'integer', minimum: 0, maximum: 100_000, description: 'Learners expected' },
    leadSeconds: { type: 'integer', minimum: 0, maximum: MAX_LEAD_SECONDS, default: 900, description: 'Seconds before the start the pool grows' },
    weeklyUntil: { ...time, description: 'The class repeats every week while it starts no later than this' },
    timeZone: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      description: "An IANA time zone (Europe/Berlin): each week's class starts at the first one's local time there, across daylight-saving changes; left out: the same UTC time every week",
    },
  },
} as const;

interface ClassBody {
  course: string;
  lab?: string;
  start: string;
  end: string;
  learners: number;
  leadSeconds: number;
  weeklyUntil?: string;
  timeZone?: string;
}

export function scheduleRoutes(ctx: AppContext) {
  return async function schedulesPlugin(app: FastifyInstance): Promise<void> {
    app.addHook('onRequest', requireToken(ctx.config, 'service'));
    const actor = (request: FastifyRequest) => `api:${String(request.headers['x-stacklab-actor'] ?? 'service')}`;

    app.get<{ Querystring: { course?: string } }>(
      '/schedules',
      { schema: { tags: ['labs'], summary: "Class times that size the warm pools (a course's, or all)", querystring: { type: 'object', additionalProperties: false, properties: { course: id } } } },
      async (request) => ({ classes: (await ctx.schedules.list(request.query.course)).map((s) => classView(s, ctx.clock.now())) }),
    );
    app.post<{ Body: ClassBody }>(
      '/schedules',
      { schema: { tags: ['labs'], summary: 'Add a class time: the pools of its labs fill ahead of it and drain after', body: CLASS_BODY } },
      async (request, reply) => {
        const b = request.body;
        const added = await ctx.schedules.add(
          { course: b.course, lab: b.lab ?? null, start: new Date(b.start), end: new Date(b.end), learners: b.learners, leadSeconds: b.leadSeconds, weeklyUntil: b.weeklyUntil ? new Date(b.weeklyUntil) : null, timeZone: b.timeZone ?? null },
          actor(request),
          ctx.clock.now(),
        );
        request.log.info({ class: added.id, course: added.course, lab: added.lab, learners: added.learners }, 'schedule: class added');
        return reply.status(201).send(classView(added, ctx.clock.now()));
      },
    );
    app.delete<{ Params: { id: string } }>(
      '/schedules/:id',
      { schema: { tags: ['labs'], summary: 'Remove a class time (its pools return to their labs\' sizes)', params: { type: 'object', required: ['id'], properties: { id } } } },
      async (request) => {
        await ctx.schedules.remove(request.params.id);
        request.log.info({ class: request.params.id }, 'schedule: class removed');
        return { removed: request.params.id };
      },
    );
  };
}
