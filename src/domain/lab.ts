import type { LabPool } from './pool.ts';
import type { UsageLimit } from './usage-budget.ts';

/** A lab as the rest of the code sees it: loaded, validated and with its files read. */
export interface LabProvider {
  name: string;
  capacity: number;
  /** Template text for this provider (the lab's own unless overridden). */
  template: string;
  templateFile: string;
  environment?: string;
  /** Files the template reads (get_file, nested templates), by the name it uses: Heat's `files`. */
  files?: Record<string, string>;
}

export interface LabCheck {
  title: string;
  /** Script text, starting with a shebang. */
  script: string;
  hint?: string;
  weight: number;
  server?: string;
}

export interface LabPort {
  name: string;
  host?: string;
  number: number;
}

export interface LabTimeouts {
  launch: number;
  suspend: number;
  deleteAge: number;
  /** Seconds unused before a suspended stack is shelved (0 = never); absent: the provider's default. */
  shelveAfter?: number;
  check: number;
  remoteExec: number;
  /** Idleness overrides (domain/idleness.ts); absent: the deployment's setting. */
  idle?: number;
  departure?: number;
  outputActivity?: number;
}

export interface Lab {
  id: string;
  dir: string;
  title: string;
  description: string;
  template: string;
  templateFile: string;
  environment?: string;
  parameters: Record<string, string | number | boolean>;
  user: string;
  protocol: 'ssh' | 'vnc' | 'rdp';
  port: number;
  ports: LabPort[];
  providers: LabProvider[];
  timeouts: LabTimeouts;
  checks: LabCheck[];
  solution?: string;
  hookScript?: string;
  hookEvents: Array<'suspend' | 'resume' | 'delete'>;
  readOnly: boolean;
  /** Terminal sessions are recorded (src/recordings/) when the deployment keeps recordings. */
  recordTerminal: boolean;
  hidden: boolean;
  fullscreen: boolean;
  /** Markdown text of the instructions file. */
  instructions?: string;
  /** Its path in the lab folder: the images it shows are relative to it. */
  instructionsFile?: string;
  /**
   * The same instructions in other languages, by language tag: `instructions.de.md` beside
   * `instructions.md` is `{ de: { text, file: 'instructions.de.md' } }` (docs/i18n.md).
   */
  translatedInstructions?: Record<string, { text: string; file: string }>;
  instructionsLayout: 'above' | 'below' | 'left' | 'right';
  terminal: { font: string; fontSize: number; colorScheme: 'dark' | 'light' | 'solarized-dark' | 'solarized-light' };
  progressCheckLabel: string;
  progressCheckResultHeading: string;
  showFeedback: boolean;
  showHintsOnError: boolean;
  gradePolicy: 'best' | 'latest';
  allowInternet: boolean;
  /** Outputs to seal and never show, besides private_key, password and names that look secret. */
  secretOutputs?: string[];
  /** Outputs whose names look secret but are not (say, public_key): shown like any other. */
  publicOutputs?: string[];
  /** Running time per learner per course run (domain/usage-budget.ts); a course may override it. */
  usageLimit?: UsageLimit;
  /** The warm pool (domain/pool.ts); absent or size 0: none, every launch creates its stack. */
  pool?: LabPool;
}

export const DEFAULT_PORTS = { ssh: 22, vnc: 5901, rdp: 3389 } as const;
