/** Shapes the learner API returns (mirrors src/http/routes/learner-view.ts). */
export type Phase = 'starting' | 'ready' | 'suspending' | 'suspended' | 'resuming' | 'deleting' | 'deleted' | 'failed';

export interface StackView {
  id: string;
  lab: string;
  state: string;
  phase: Phase;
  message: string;
  error: string | null;
  action: 'none' | 'resume' | 'retry' | 'reset';
  stateChangedAt: string;
  createdAt: string;
  suspendAt: string | null;
  serverNow: string;
}

export interface LabView {
  id: string;
  title: string;
  description: string;
  protocol: 'ssh' | 'vnc' | 'rdp';
  protocolAvailable: boolean;
  unavailableReason?: string;
  servers: string[];
  readOnly: boolean;
  fullscreen: boolean;
  instructionsHtml: string;
  instructionsLayout: 'above' | 'below' | 'left' | 'right';
  terminal: { font: string; fontSize: number; colorScheme: 'dark' | 'light' | 'solarized-dark' | 'solarized-light' };
  progressCheckLabel: string;
  progressCheckResultHeading: string;
  hasChecks: boolean;
  keepaliveInterval: number;
  idleTimeout: number;
  suspendTimeout: number;
}

export interface ConnectionGrant {
  path: string;
  protocols: string[];
  kind: 'terminal' | 'vnc' | 'rdp';
  server: string;
  readOnly: boolean;
  expiresIn: number;
}
