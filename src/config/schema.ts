/**
 * The one configuration schema: every setting with its env var, default and description.
 * docs/configuration.md is generated from this list (`npm run docs:config`) and a test fails when they drift.
 */
import { z } from 'zod';
import { DEPLOYMENT_ID_PATTERN, DEPLOYMENT_ID_RULE } from '../domain/deployment.ts';
import { SHIPPED_LOCALES } from '../infra/i18n/locale-info.ts';
import { pricesSchema } from '../domain/prices.ts';
import { isTimeZone } from '../domain/zoned-time.ts';

export interface Setting<T extends z.ZodType = z.ZodType, K extends string = string> {
  key: K;
  env: string;
  schema: T;
  description: string;
  secret?: boolean;
}

const seconds = z.coerce.number().int().positive();

/** One class of the `schedules` setting (services/class-schedules.ts). */
const time = z.coerce.date({ error: 'must be an ISO 8601 time, like 2026-09-01T09:00:00Z' });
const classSessionSchema = z
  .strictObject({
    course: z.string().min(1),
    lab: z.string().min(1).optional(),
    start: time,
    end: time,
    learners: z.coerce.number().int().min(0).max(100_000),
    lead: z.coerce.number().int().min(0).max(24 * 3600).default(900),
    weekly_until: time.optional(),
    time_zone: z.string().refine(isTimeZone, { error: 'must be an IANA time zone, like Europe/Berlin' }).optional(),
  })
  .transform((c) => ({ course: c.course, lab: c.lab ?? null, start: c.start, end: c.end, learners: c.learners, leadSeconds: c.lead, weeklyUntil: c.weekly_until ?? null, timeZone: c.time_zone ?? null }));
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')]);

function setting<K extends string, T extends z.ZodType>(key: K, schema: T, description: string, extra: { env?: string; secret?: boolean } = {}): Setting<T, K> {
  return { key, env: extra.env ?? `STACKLAB_${key.toUpperCase()}`, schema, description, secret: extra.secret };
}

/** A setting given as JSON in an environment variable or as a mapping in the config file. */
function jsonOrValue(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    // Left as the string: the schema then says what it expected.
    return value;
  }
}

/** `tcp://host[:port]` (port 4822, guacd's, when omitted); undefined when it is not one. */
export function parseTcpUrl(value: string): { host: string; port: number } | undefined {
  const match = /^tcp:\/\/(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+))(?::(\d{1,5}))?$/.exec(value);
  if (!match) return undefined;
  const port = match[3] === undefined ? 4822 : Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1] ?? match[2], port };
}

export const SETTINGS = [
  setting('port', z.coerce.number().int().min(0).max(65535).default(8080), 'HTTP port of the server.', { env: 'PORT' }),
  setting('host', z.string().default('0.0.0.0'), 'Address the server listens on.'),
  setting('public_url', z.string().url().optional(), 'URL learners and platforms reach the server at (default: http://localhost:PORT).'),
  setting('database_url', z.string().optional(), 'PostgreSQL URL; when unset the embedded PGlite store in the data folder is used. Each process also holds one connection that LISTENs for stack changes, so point it at PostgreSQL or a session-pooling proxy, not a transaction-pooling one.', { env: 'DATABASE_URL', secret: true }),
  setting('data_dir', z.string().default('data'), 'Folder for the embedded store, the generated secret key and local runtime state.'),
  setting(
    'deployment_id',
    z.string().regex(DEPLOYMENT_ID_PATTERN, `use ${DEPLOYMENT_ID_RULE}`).optional(),
    `This deployment's id (${DEPLOYMENT_ID_RULE}), part of the name and tag of every stack it creates so that deployments sharing a cloud project or a host never touch each other's stacks; when unset, one is generated into the store at the first start. A store belongs to one deployment: a configured id that differs from the store's stops the start.`,
  ),
  setting('labs_dir', z.string().default('labs'), 'Folder of labs: <dir>/<lab-id>/lab.yaml + HOT template.'),
  setting('api_token', z.string().min(16).optional(), 'Bearer token for the /api/v1 service calls (stacks and labs of any learner, checks); generated and printed at start when unset. See admin_token and metrics_token for the other scopes.', { secret: true }),
  setting('secret_key', z.string().optional(), 'Base64 key (32 bytes) that encrypts stack secrets and signs tokens; generated into the data folder when unset.', { secret: true }),
  setting('providers', z.string().default('auto'), "Providers, as a JSON list in env or a list in the config file; 'auto' = the local runtime where it can run, otherwise none."),
  setting('default_providers', z.string().default(''), 'Comma-separated provider names for labs that name none (default: every configured provider, in order).'),
  setting('worker', bool.default(true), 'Run the worker loop and the periodic jobs (sweeps, LTI grade delivery and key rotation) inside `stacklab serve`.'),
  setting('worker_metrics_port', z.coerce.number().int().min(0).max(65535).default(0), 'Port on which `stacklab worker` serves /metrics (with the metrics token), so the operation durations and failures a standalone worker records can be scraped; 0: off. `serve` shows its own at /metrics.'),
  setting('worker_concurrency', z.coerce.number().int().min(1).max(5000).default(200), 'Provider operations one worker runs at once.'),
  setting('poll_interval', z.coerce.number().positive().default(2), 'Seconds between provider status polls of an operation in progress.'),
  setting('lease', seconds.default(60), 'Seconds a worker holds a claimed operation before another may take it over (renewed while alive).'),
  setting('suspend_timeout', seconds.default(120), 'Seconds without keepalive before a stack is suspended (a lab may set its own).'),
  setting('delete_age', seconds.default(14 * 24 * 3600), 'Seconds a stack may stay unused before the reaper deletes it (a lab may set its own).'),
  setting('delete_attempts', z.coerce.number().int().min(1).default(3), 'Times the reaper tries to delete a stack before leaving it DELETE_FAILED.'),
  setting('suspend_attempts', z.coerce.number().int().min(1).default(3), 'Times a failed suspend, or a failed shelve, is retried.'),
  setting('launch_timeout', seconds.default(900), 'Seconds a launch may take (a lab may set its own).'),
  setting('suspend_task_timeout', seconds.default(900), 'Seconds a suspend or resume may take before it counts as failed.'),
  setting('delete_task_timeout', seconds.default(900), 'Seconds a delete may take before it counts as failed.'),
  setting('shelve_task_timeout', seconds.default(1800), 'Seconds a shelve, or a wake-up from shelved (unshelve every server, then resume), may take before it counts as failed.'),
  setting('check_timeout', seconds.default(120), 'Seconds a progress check may take (a lab may set its own).'),
  setting('keepalive_interval', seconds.default(30), 'Seconds between keepalives from an open lab page.'),
  setting(
    'status_waiters',
    z.coerce.number().int().min(0).default(2000),
    "Lab-page status requests this server process holds open at once while they wait for their lab to change (the page's long-poll, docs/learner-page.md); one more is refused with 503 UNAVAILABLE and that page polls every few seconds instead. Each waiter is one open HTTP request: keep this under the process's file limit. 0 = pages always poll.",
  ),
  setting(
    'status_waits_per_learner',
    z.coerce.number().int().min(0).default(4),
    "Of the `status_waiters`, how many one learner may hold at once (their lab pages in several tabs); past it, that learner's next status request is answered at once without waiting (so their page polls for a while) instead of using up the process's waiters and sending other learners' pages to polling. 0 = that learner's pages always poll.",
  ),
  setting('connection_retry_budget', seconds.default(180), "Seconds the lab page keeps retrying a lab connection that fails (at least 3 attempts; a lab's servers may still boot after READY) before it stops and tells the learner what to do."),
  setting(
    'idle_timeout',
    seconds.default(300),
    "Seconds without learner input (keys, clicks, pointer, terminal and desktop input) after which the page stops sending keepalives; the stack then suspends `suspend_timeout` later, with a \"still here?\" prompt in its last minute (a lab may set its own). Keystrokes through the gateway count on the server too. Default chosen by `npm run bench -- cost` (BENCHMARKS.md): about 7 minutes from the last input to the suspend.",
  ),
  setting(
    'departure_grace',
    z.coerce.number().int().min(0).default(60),
    'Seconds after the lab page says it went away (tab closed, page left, LMS navigated on) before its stack is suspended, unless another open page of the stack keeps it alive or the learner comes back (a lab may set its own); 0: departures are ignored and only idleness suspends.',
  ),
  setting(
    'output_activity',
    z.coerce.number().int().min(0).default(1800),
    "Seconds after the learner's last keystroke or click during which output alone (a long build scrolling in the terminal, a changing desktop) still counts as activity on the server (a lab may set its own); 0: output never counts.",
  ),
  setting('default_locale', z.enum(SHIPPED_LOCALES).default('en'), `Language of the pages when neither the LTI launch nor the browser asks for one we have: ${SHIPPED_LOCALES.join(', ')} (docs/i18n.md).`),
  setting('suspender_interval', seconds.default(10), 'Seconds between suspender sweeps (idle stacks are suspended, dormant suspended ones shelved).'),
  setting('reaper_interval', seconds.default(300), 'Seconds between reaper sweeps.'),
  setting('pool_interval', seconds.default(15), "Seconds between passes of the warm-pool filler (docs/pools.md: labs' `pool` setting); a claim from a pool starts a pass at once."),
  setting(
    'schedules',
    z.preprocess(jsonOrValue, z.array(classSessionSchema)).default([]),
    "Class times that size warm pools ahead of each class and drain them after (docs/pools.md, \"Schedules\"): a list of `{course, lab, start, end, learners, lead, weekly_until, time_zone}` (course: the LTI context id; lab: one lab with a `pool` section, or left out for every pooled lab of the course; start, end, weekly_until: ISO 8601 times; lead: seconds before the start the pool grows, default 900; weekly_until: the class repeats every week while it starts by then; time_zone: an IANA time zone, like Europe/Berlin, whose local time the weekly class keeps across daylight-saving changes, left out: the same UTC time every week); JSON in the environment variable. Classes added with `stacklab schedule add` or the API live in the store.",
  ),
  setting(
    'predictive_resume',
    z.coerce.number().int().min(0).max(20).default(3),
    "When a learner opens a lab of a course (an LTI launch, the lab page's launch), their suspended stacks of the course's other labs are resumed too, this many at most (the most recently used first), so the next lab they open is running (docs/pools.md, \"Predictive resume\"); one they do not open is suspended again by the idle suspender after its lab's suspend timeout. 0: off.",
  ),
  setting(
    'habit_resume',
    bool.default(false),
    "Resume a learner's suspended stacks of a course `habit_resume_lead` seconds before the time of day they usually open it (on at least `habit_resume_days` of the last 14 days, within half an hour). They are held until as long after that time, then the idle suspender takes back those the learner did not open. Off by default: each guess that is wrong costs twice the lead of running time, and in the cost benchmark's class with habits it added 19 % to the bill to spare a third of the sessions their wait for a resume (BENCHMARKS.md); while on, the course openings it learns from are kept 15 days.",
  ),
  setting('habit_resume_lead', seconds.max(3600).default(300), 'Seconds before the usual time that habit resume resumes the stacks.'),
  setting('habit_resume_days', z.coerce.number().int().min(1).max(14).default(3), 'Days of the last 14 on which a learner must have opened the course at about that time for habit resume to count it as their habit.'),
  setting('reconciler_interval', seconds.default(300), 'Seconds between reconciler runs (provider stacks vs the store).'),
  setting('watchdog_interval', seconds.default(30), 'Seconds between watchdog sweeps for stuck operations.'),
  setting('sweep_batch', z.coerce.number().int().min(1).max(100_000).default(1000), 'Stacks one sweep (suspender, reaper, watchdog) acts on per run; the rest wait for the next run.'),
  setting('retry_backoff', seconds.default(30), 'Seconds a failed suspend or delete waits before the sweeps try it again.'),
  setting('worker_idle_poll', z.coerce.number().positive().default(1), 'Seconds an idle worker waits before it looks for work again (work requested in the same process starts at once).'),
  setting('reconcile_grace', seconds.optional(), "Seconds a provider stack unknown to the store is left alone before the reconciler deletes it, so a launch in flight is not taken for a zombie (default: twice `lease`, at least 120)."),
  setting('recording_retention_days', z.coerce.number().int().min(0).default(30), "Days a terminal recording (asciicast v2, in the data folder's recordings/) is kept before the recordings sweep removes it; 0 = terminal sessions are not recorded on this deployment. A lab can switch its own off (record_terminal: false)."),
  setting('token_ttl', seconds.default(300), 'Seconds a terminal/desktop connection token stays valid.'),
  setting(
    'guacd_url',
    z
      .string()
      .refine((v) => v === '' || parseTcpUrl(v) !== undefined, 'must be tcp://host:port (e.g. tcp://127.0.0.1:4822), or empty')
      .optional(),
    'Guacamole daemon (guacd) for RDP labs, as tcp://host:port (port 4822 when omitted); unset or empty = RDP labs say that RDP is unavailable. ' +
      "guacd is sent the lab's RDP password over plain TCP: run it on this machine or a private network. " +
      'A lab desktop behind the jump host (a port with a host) is forwarded through SSH to a listener on 127.0.0.1, which only a guacd on this machine (not in a container with its own network) can reach; with a remote guacd such desktops are refused with a clear message.',
  ),
  setting(
    'rdp_forward_window',
    seconds.default(30),
    "Seconds after an RDP session starts during which guacd may open new connections through the local SSH forward to a desktop behind the jump host (RDP security negotiation reconnects); after that the listener takes no new connections, so no other local process can use it.",
  ),
  setting('trust_proxy', bool.default(false), 'Trust X-Forwarded-For/-Proto/-Host from the peer (set when a reverse proxy is in front). Off: those headers are ignored, so nobody can choose the URLs the server builds; set public_url too.'),
  setting('metrics_token', z.string().min(16).optional(), 'Bearer token that may only read /metrics (for the Prometheus scraper); when unset, the API token reads them.', { secret: true }),
  setting('admin_token', z.string().min(16).optional(), 'Bearer token for the LTI admin API (platform registrations, tool keys, grades); when set, the API token may not use it. Unset: the API token may.', { secret: true }),
  setting('body_limit', z.coerce.number().int().min(1024).default(1024 * 1024), 'Largest request body in bytes; a larger one is refused with 413 PAYLOAD_TOO_LARGE.'),
  setting('request_timeout', seconds.default(30), 'Seconds a client may take to send a whole request before the connection is closed.'),
  setting('keep_alive_timeout', seconds.default(5), 'Seconds an idle keep-alive connection stays open between requests.'),
  setting('connection_timeout', seconds.default(120), 'Seconds a connection may stay silent (no request, no data) before it is closed; WebSockets are not affected.'),
  setting('sockets_per_stack', z.coerce.number().int().min(0).default(8), 'Terminal/desktop connections open at once to one stack, per server process; 0 = no limit.'),
  setting(
    'max_stacks_per_learner',
    z.coerce.number().int().min(0).default(5),
    'Stacks one learner may hold at once, across all labs and courses: every stack but a deleted one and one being deleted for good (a reset counts). A launch that would need one more is refused with 409 STACK_LIMIT_REACHED; coming back to a stack the learner has is never refused. Calls with the API token acting for a learner count the same. 0 = no limit.',
  ),
  setting(
    'launches_per_minute',
    z.coerce.number().int().min(0).default(10),
    'Launches one learner may start per minute (a new stack, a relaunch of a deleted or failed one, a reset), counted in the store across all server processes; more are refused with 429 LAUNCH_RATE_LIMITED and a Retry-After header. Opening, resuming or keeping alive a stack the learner has is not a launch. Calls with the API token acting for a learner count the same. 0 = no limit.',
  ),
  setting(
    'max_lti_login_states',
    z.coerce.number().int().min(1).default(10_000),
    'LTI logins in progress (OIDC state rows, each kept until the launch or for 5 minutes) the store holds at once. When full, expired ones are dropped first; if all are live, a new login is refused with 503 (the learner opens the lab again a minute later). Each row is at most about 2.5 KB.',
  ),
  setting(
    'prices',
    z.preprocess(jsonOrValue, pricesSchema).optional(),
    'What each provider\'s cloud charges, for the cost report (docs/cost.md): a mapping from provider name to `{per: stack-hour, currency, stack: {running, suspended, shelved}}` or `{per: server-hour, currency, flavors: {<flavor>: {running, suspended, shelved}}}`, prices per hour; JSON in the environment variable. A missing suspended price is the running one (many clouds bill a suspended server like a running one), a missing shelved price is 0. Unset: the report shows hours without cost.',
  ),
  setting('demo_remote', bool.default(false), 'Let demo sign-in answer requests from other machines; off: only from loopback (127.0.0.1, ::1), since anyone who can sign in can start labs.'),
  setting(
    'frame_ancestors',
    z
      .string()
      .refine((v) => v.split(/\s+/).filter(Boolean).every((o) => /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(o)), 'must be origins like https://lms.example.org, separated by spaces')
      .default(''), "Space-separated origins (https://lms.example.org) that may frame the lab page, in addition to the registered LTI platforms' origins."),
  setting('session_ttl', seconds.default(8 * 3600), 'Seconds a learner session on the lab page stays valid.'),
  setting('operator_session_ttl', seconds.default(8 * 3600), 'Seconds an operator stays signed in to the staff console (docs/console.md) without signing in again.'),
  setting(
    'oidc_issuer',
    z
      .string()
      .url()
      .refine((v) => v.startsWith('https://') || /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(\/|$)/.test(v), 'must be an https:// URL (http:// only for an issuer on this machine: localhost, 127.0.0.1, [::1])')
      .optional(),
    "Operators' OIDC sign-in to the staff console (docs/console.md): the issuer URL of the deployment's OpenID provider (its /.well-known/openid-configuration is read at the first sign-in). Unset: operators sign in with passwords only. Needs oidc_client_id, and oidc_operators or oidc_operator_claim; the provider must accept the redirect URI <public_url>/console/oidc/callback.",
  ),
  setting('oidc_client_id', z.string().min(1).max(255).optional(), "The console's client id at the OpenID provider (oidc_issuer)."),
  setting('oidc_client_secret', z.string().min(1).optional(), "The console's client secret at the OpenID provider; unset for a public client (the flow uses PKCE either way).", { secret: true }),
  setting('oidc_scopes', z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/, 'must be scope names separated by single spaces').default('openid profile email'), 'Scopes the console asks the OpenID provider for, separated by spaces (openid is added when missing); ask for the scope that carries oidc_operator_claim if the provider needs one.'),
  setting('oidc_provider_name', z.string().max(80).optional(), 'The name the sign-in page shows on its "Sign in with <name>" button (default: the host name of oidc_issuer).'),
  setting(
    'oidc_operators',
    z.string().default(''),
    'Who may use the console through OIDC: comma- or space-separated e-mail addresses (matched without regard to case, only when the provider does not say the address is unverified) and subjects (`sub:<subject>`). Anyone listed here, or holding oidc_operator_claim, is an operator; everyone else is refused.',
  ),
  setting(
    'oidc_operator_claim',
    z
      .string()
      .regex(/^[A-Za-z0-9_.:/-]{1,100}=.{1,200}$/, 'must be <claim>=<value>, e.g. groups=stacklab-operators')
      .optional(),
    '`<claim>=<value>` (e.g. `groups=stacklab-operators`): a user whose ID token or userinfo claim equals the value, or is a list holding it, is an operator.',
  ),
  setting('demo', bool.default(false), 'Serve the demo course page with name sign-in (npm start turns it on).'),
  setting('log_format', z.enum(['auto', 'json', 'pretty']).default('auto'), 'Log lines as JSON (for log collectors) or pretty (one readable line each); auto = pretty when standard output is a terminal.'),
  setting('log_level', z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'), 'Log level.'),
] as const;

export type SettingKey = (typeof SETTINGS)[number]['key'];
type SettingOf<K extends SettingKey> = Extract<(typeof SETTINGS)[number], { key: K }>;
export type Config = { [K in SettingKey]: z.output<SettingOf<K>['schema']> };
