/**
 * `stacklab usage` (learners' time budgets: show, extend, a course's limit) and `stacklab cost-report`
 * (docs/cost.md), through a running server's API like `stacklab stacks`, else on the store directly.
 */
import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import type { Runtime } from '../app/create-context.ts';
import { USAGE_LIMIT_MODES, type UsageLimitMode } from '../domain/usage-budget.ts';
import { costReportCsv } from '../http/report/cost-csv.ts';
import { costReportHtml } from '../http/report/cost-page.ts';
import { CostReports, type CostReport, type CostReportQuery } from '../services/cost-report.ts';
import type { ApiClient } from './api-client.ts';
import { runtimeFromCommand, storeRoute } from './runtime-from-cli.ts';

type Key = { learner: string; context: string; lab: string };
type Remote = { url?: string; token?: string };

/** Runs `fn` through the API or on a runtime without a worker, and closes what it opened. */
export async function via<T>(command: Command, remote: Remote, api: (client: ApiClient) => Promise<T>, direct: (rt: Runtime) => Promise<T>): Promise<T> {
  const route = storeRoute(command, remote);
  if (route.kind === 'api') return api(route.client);
  const rt = await runtimeFromCommand(command, { worker: false });
  try {
    return await direct(rt);
  } finally {
    await rt.close();
  }
}

/** "2h", "90m", "3600" (seconds), "1h30m": a duration as people type it. */
export function parseDuration(text: string): number {
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$/.exec(text.trim());
  const seconds = match ? Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0) : 0;
  if (!match || seconds <= 0) throw new InvalidArgumentError(`'${text}' is not a duration: write it like 2h, 90m, 1h30m or 3600 (seconds)`);
  return seconds;
}

function parseMode(text: string): UsageLimitMode {
  if (!(text in USAGE_LIMIT_MODES)) throw new InvalidArgumentError(`mode must be one of ${Object.keys(USAGE_LIMIT_MODES).join(', ')}`);
  return text as UsageLimitMode;
}

const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

export function usageCommand(): Command {
  const usage = new Command('usage')
    .description("Learners' lab time budgets (usage limits): show one, extend one, set a course's limit")
    .option('--url <url>', 'a running stacklab server to act through (also STACKLAB_URL)')
    .option('--token <token>', "the server's API token (also STACKLAB_API_TOKEN)");
  const remote = () => usage.opts() as Remote;
  const key = (cmd: Command) => cmd.opts() as Key;
  const keyOptions = (cmd: Command) =>
    cmd.requiredOption('--learner <id>', 'the learner id').requiredOption('--context <id>', 'the course (LTI context) id').requiredOption('--lab <id>', 'the lab id');

  keyOptions(usage.command('show').description("A learner's budget, time used and extensions")).action(async (_opts, cmd: Command) => {
    const k = key(cmd);
    const query = new URLSearchParams(k).toString();
    print(
      await via(
        cmd,
        remote(),
        (client) => client.request('GET', `/usage?${query}`),
        async (rt) => ({ ...k, ...(await rt.ctx.stacks.budgets.limitFor(k.context, k.lab)), status: await rt.ctx.stacks.budgets.status(k, rt.ctx.clock.now()), extensions: await rt.ctx.stacks.budgets.store.extensions(k.learner, k.context, k.lab) }),
      ),
    );
  });

  keyOptions(usage.command('extend').description("Add running time to a learner's budget"))
    .requiredOption('--add <duration>', 'time to add: 2h, 90m, 1h30m or seconds', parseDuration)
    .option('--note <text>', 'why (kept with the extension)', '')
    .action(async (_opts, cmd: Command) => {
      const { add, note, ...k } = cmd.opts() as Key & { add: number; note: string };
      print(
        await via(
          cmd,
          remote(),
          (client) => client.request('POST', '/usage/extensions', { ...k, seconds: add, note }),
          async (rt) => {
            await rt.ctx.stacks.budgets.extend(k, add, 'cli', rt.ctx.clock.now(), note);
            await rt.ctx.stacks.applyBudget(k);
            return { ...k, status: await rt.ctx.stacks.budgets.status(k, rt.ctx.clock.now()) };
          },
        ),
      );
    });

  usage
    .command('limit')
    .description("Set a course's budget for a lab, overriding the lab's usage_limit (--clear removes it)")
    .requiredOption('--context <id>', 'the course (LTI context) id')
    .requiredOption('--lab <id>', 'the lab id')
    .option('--time <duration>', 'running time per learner: 10h, 90m or seconds', parseDuration)
    .option('--mode <mode>', 'none, warn or block', parseMode, 'warn')
    .option('--clear', "remove the course's limit")
    .action(async (_opts, cmd: Command) => {
      const o = cmd.opts() as { context: string; lab: string; time?: number; mode: UsageLimitMode; clear?: boolean };
      if (!o.clear && o.time === undefined) throw new InvalidArgumentError('give --time (and --mode), or --clear');
      const query = new URLSearchParams({ context: o.context, lab: o.lab }).toString();
      print(
        await via(
          cmd,
          remote(),
          (client) => (o.clear ? client.request('DELETE', `/usage/limits?${query}`) : client.request('PUT', '/usage/limits', { context: o.context, lab: o.lab, seconds: o.time, mode: o.mode })),
          async (rt) =>
            o.clear
              ? { removed: await rt.ctx.stacks.budgets.store.clearCourseLimit(o.context, o.lab) }
              : rt.ctx.stacks.budgets.store.setCourseLimit(o.context, o.lab, { seconds: o.time!, mode: o.mode }, 'cli', rt.ctx.clock.now()),
        ),
      );
    });
  return usage;
}

export function costReportCommand(): Command {
  return new Command('cost-report')
    .description('The cost report: learning hours, billed hours, cost and the saving against always-on, per course, lab, learner and month (docs/cost.md)')
    .option('--url <url>', 'a running stacklab server to ask (also STACKLAB_URL)')
    .option('--token <token>', "the server's API token (also STACKLAB_API_TOKEN)")
    .option('--context <id>', 'one course')
    .option('--lab <id>', 'one lab')
    .option('--learner <id>', 'one learner')
    .option('--from <YYYY-MM>', 'first month (default: this month)')
    .option('--to <YYYY-MM>', 'last month (default: --from)')
    .option('--format <format>', 'json, csv or html', 'json')
    .option('--out <file>', 'write to this file instead of standard output')
    .action(async (_opts, cmd: Command) => {
      const o = cmd.opts() as CostReportQuery & Remote & { format: string; out?: string };
      if (!['json', 'csv', 'html'].includes(o.format)) throw new InvalidArgumentError('--format must be json, csv or html');
      const query: CostReportQuery = { context: o.context, lab: o.lab, learner: o.learner, from: o.from, to: o.to };
      const params = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined)).toString();
      const report = await via<CostReport>(
        cmd,
        { url: o.url, token: o.token },
        (client) => client.request('GET', `/reports/cost${params ? `?${params}` : ''}`),
        (rt) => new CostReports({ db: rt.ctx.db, labs: rt.ctx.labs, prices: rt.ctx.config.prices }).report(query, rt.ctx.clock.now()),
      );
      const text = o.format === 'csv' ? costReportCsv(report) : o.format === 'html' ? costReportHtml(report) : `${JSON.stringify(report, null, 2)}\n`;
      if (o.out) writeFileSync(o.out, text);
      else process.stdout.write(text);
    });
}
