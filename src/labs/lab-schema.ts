/**
 * The `lab.yaml` schema: what a course author sets for a lab, the same attributes hastexo's XBlock carried
 * (user, protocol, template, providers, ports, checks, hooks, timeouts, display options), in snake_case as
 * authors write them. `toLab` turns a parsed file into the camelCase `Lab` the code uses.
 */
import { z } from 'zod';
import { USAGE_LIMIT_MODES } from '../domain/usage-budget.ts';

const seconds = z.number().int().positive();

export const labProviderSchema = z.strictObject({
  name: z.string().min(1),
  /** -1: launch until a launch fails; 0: disabled; N: at most N occupying stacks (hastexo semantics). */
  capacity: z.number().int().min(-1).default(-1),
  template: z.string().optional(),
  environment: z.string().optional(),
});

export const checkSchema = z.strictObject({
  /** A file in the lab folder, or the script itself (it must start with a shebang). */
  script: z.string().min(1),
  title: z.string().optional(),
  hint: z.string().optional(),
  weight: z.number().positive().default(1),
  /** Server to run on (a name reachable from the jump host); default: the jump host. */
  server: z.string().optional(),
});

export const portSchema = z.strictObject({
  name: z.string().min(1),
  /** Host to reach from the jump host (a server name); default: the jump host itself. */
  host: z.string().optional(),
  number: z.number().int().min(1).max(65535),
});

export const labFileSchema = z.strictObject({
  title: z.string().min(1),
  description: z.string().default(''),
  template: z.string().default('template.yaml'),
  environment: z.string().optional(),
  parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  user: z.string().min(1).default('training'),
  protocol: z.enum(['ssh', 'vnc', 'rdp']).default('ssh'),
  port: z.number().int().min(1).max(65535).optional(),
  ports: z.array(portSchema).default([]),
  providers: z.array(labProviderSchema).optional(),
  timeouts: z
    .strictObject({
      launch: seconds.default(900),
      suspend: seconds.default(120),
      delete_age: seconds.default(14 * 24 * 3600),
      /**
       * Seconds unused before a suspended stack is shelved (docs/openstack.md, "Dormancy"), counted from
       * the last activity like delete_age; 0 = never. Absent: the provider's default. Ignored where the
       * provider cannot shelve (the local runtime).
       */
      shelve_after: z.number().int().min(0).optional(),
      check: seconds.default(120),
      remote_exec: seconds.default(300),
      /** Idleness (docs/configuration.md idle_timeout, departure_grace, output_activity); absent: the deployment's setting. */
      idle: seconds.optional(),
      departure: z.number().int().min(0).optional(),
      output_activity: z.number().int().min(0).optional(),
    })
    .prefault({}),
  checks: z.array(checkSchema).default([]),
  solution: z.string().optional(),
  hook_script: z.string().optional(),
  hook_events: z.array(z.enum(['suspend', 'resume', 'delete'])).default([]),
  read_only: z.boolean().default(false),
  /** Record the learner's terminal sessions (asciicast v2) for the course staff; the learner is told. */
  record_terminal: z.boolean().default(true),
  hidden: z.boolean().default(false),
  fullscreen: z.boolean().default(false),
  instructions: z.string().optional(),
  instructions_layout: z.enum(['above', 'below', 'left', 'right']).default('above'),
  terminal: z
    .strictObject({
      font: z.string().default('monospace'),
      font_size: z.number().int().min(6).max(48).default(14),
      color_scheme: z.enum(['dark', 'light', 'solarized-dark', 'solarized-light']).default('dark'),
    })
    .prefault({}),
  progress_check_label: z.string().default('Check progress'),
  progress_check_result_heading: z.string().default('Progress check result'),
  show_feedback: z.boolean().default(true),
  show_hints_on_error: z.boolean().default(true),
  grade_policy: z.enum(['best', 'latest']).default('best'),
  allow_internet: z.boolean().default(false),
  /** Template outputs to keep secret (sealed, never sent by the API) besides private_key, password and names that look secret. */
  secret_outputs: z.array(z.string().min(1)).default([]),
  /**
   * A budget of running time per learner for this lab in each course run (hastexo's lab_usage_limit;
   * docs/cost.md): `seconds`, and `mode` none (counted only), warn (shown) or block (suspended at the limit).
   * A course may override it, the course team may extend one learner's budget.
   */
  usage_limit: z
    .strictObject({
      seconds: z.number().int().positive(),
      mode: z.enum(Object.keys(USAGE_LIMIT_MODES) as [keyof typeof USAGE_LIMIT_MODES]).default('warn'),
    })
    .optional(),
  /**
   * A warm pool (docs/pools.md): `size` stacks launched ahead and kept `state` (suspended or running) for
   * nobody; a learner's first launch takes one. When the template takes the `run` parameter a pool is
   * kept per course run listed in `runs`. `personalize`: the script (a file in the lab folder, or the
   * script itself) that makes a claimed stack the learner's; default: the built-in one.
   */
  pool: z
    .strictObject({
      size: z.number().int().min(0).max(1000).default(0),
      state: z.enum(['suspended', 'running']).default('suspended'),
      runs: z.array(z.string().min(1)).default([]),
      personalize: z.string().optional(),
    })
    .optional(),
  /** Outputs whose names look secret but are not; private_key and password cannot be listed. */
  public_outputs: z.array(z.string().min(1).refine((n) => n !== 'private_key' && n !== 'password', 'private_key and password are always secret')).default([]),
});

export type LabFile = z.infer<typeof labFileSchema>;
