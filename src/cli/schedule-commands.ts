/**
 * `stacklab schedule add|list|remove`: a course's class times, which size the warm pools ahead of each
 * class (docs/pools.md, "Schedules"), through a running server's API, else on the store directly.
 */
import { Command, InvalidArgumentError } from 'commander';
import { classView, type ClassView } from '../services/class-schedules.ts';
import { formatOf, render, table, withFormat } from './output.ts';
import { parseDuration, via } from './usage-commands.ts';

type Remote = { url?: string; token?: string };

function parseTime(text: string): Date {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError(`'${text}' is not a time: write it in ISO 8601, like 2026-09-01T09:00:00Z`);
  return date;
}

function parseCount(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`'${text}' is not a number of learners`);
  return n;
}

export function scheduleCommand(): Command {
  const schedule = new Command('schedule')
    .description("Class times: a course's labs' warm pools fill ahead of each class for the learners expected, and drain after (docs/pools.md)")
    .option('--url <url>', 'a running stacklab server to act through (also STACKLAB_URL)')
    .option('--token <token>', "the server's API token (also STACKLAB_API_TOKEN)");
  const remote = () => schedule.opts() as Remote;

  schedule
    .command('add')
    .description('Add a class time')
    .requiredOption('--course <id>', 'the course: its LTI context id (an Open edX course key)')
    .option('--lab <id>', 'one lab (with a pool section); default: every pooled lab of the course')
    .requiredOption('--start <time>', 'when the class starts (ISO 8601)', parseTime)
    .requiredOption('--end <time>', 'when it ends (ISO 8601)', parseTime)
    .requiredOption('--learners <n>', 'learners expected', parseCount)
    .option('--lead <duration>', 'how long before the start the pool grows: 15m, 1h or seconds', parseDuration, 900)
    .option('--weekly-until <time>', 'repeat every week while the class starts no later than this (ISO 8601)', parseTime)
    .option('--time-zone <zone>', "keep the start's local time in this IANA time zone (Europe/Berlin) every week, across daylight-saving changes; default: the same UTC time")
    .action(async (_opts, cmd: Command) => {
      const o = cmd.opts() as { course: string; lab?: string; start: Date; end: Date; learners: number; lead: number; weeklyUntil?: Date; timeZone?: string };
      const added = await via<ClassView>(
        cmd,
        remote(),
        (client) =>
          client.request('POST', '/schedules', {
            course: o.course,
            ...(o.lab ? { lab: o.lab } : {}),
            start: o.start.toISOString(),
            end: o.end.toISOString(),
            learners: o.learners,
            leadSeconds: o.lead,
            ...(o.weeklyUntil ? { weeklyUntil: o.weeklyUntil.toISOString() } : {}),
            ...(o.timeZone ? { timeZone: o.timeZone } : {}),
          }),
        async (rt) =>
          classView(
            await rt.ctx.schedules.add({ course: o.course, lab: o.lab ?? null, start: o.start, end: o.end, learners: o.learners, leadSeconds: o.lead, weeklyUntil: o.weeklyUntil ?? null, timeZone: o.timeZone ?? null }, 'cli', rt.ctx.clock.now()),
            rt.ctx.clock.now(),
          ),
      );
      console.log(JSON.stringify(added, null, 2));
    });

  withFormat(schedule.command('list').description('List the class times (the config file\'s too), each with its next occurrence').option('--course <id>', 'one course')).action(
    async (_opts, cmd: Command) => {
      const o = cmd.opts() as { course?: string; json?: boolean; format?: string };
      const value = await via<{ classes: ClassView[] }>(
        cmd,
        remote(),
        (client) => client.request('GET', `/schedules${o.course ? `?${new URLSearchParams({ course: o.course }).toString()}` : ''}`),
        async (rt) => ({ classes: (await rt.ctx.schedules.list(o.course)).map((s) => classView(s, rt.ctx.clock.now())) }),
      );
      console.log(await render(value, formatOf(o), () => table(value.classes, [
        { header: 'ID', value: (c) => c.id },
        { header: 'COURSE', value: (c) => c.course },
        { header: 'LAB', value: (c) => c.lab ?? '(all)' },
        { header: 'NEXT START', value: (c) => c.next?.start ?? '(over)' },
        { header: 'NEXT END', value: (c) => c.next?.end ?? '' },
        { header: 'LEARNERS', value: (c) => String(c.learners) },
        { header: 'LEAD', value: (c) => `${Math.round(c.leadSeconds / 60)}m` },
        { header: 'WEEKLY UNTIL', value: (c) => c.weeklyUntil ?? '' },
        { header: 'TIME ZONE', value: (c) => c.timeZone ?? 'UTC' },
        { header: 'FROM', value: (c) => c.source },
      ])));
    },
  );

  schedule
    .command('remove')
    .description('Remove a class time (its pools go back to their labs\' sizes)')
    .argument('<id>', 'the class id, as `schedule list` shows it')
    .action(async (classId: string, _opts, cmd: Command) => {
      const removed = await via<{ removed: string }>(
        cmd,
        remote(),
        (client) => client.request('DELETE', `/schedules/${encodeURIComponent(classId)}`),
        async (rt) => {
          await rt.ctx.schedules.remove(classId);
          return { removed: classId };
        },
      );
      console.log(JSON.stringify(removed, null, 2));
    });
  return schedule;
}
