/**
 * Opens one RDP session for an authorised gateway socket: the display the page asked for (query),
 * the lab's login from the stack's secrets, where guacd should connect (rdp-target.ts), then the
 * handshake with guacd (guacd-handshake.ts). Everything that can be wrong with the set-up becomes a
 * GuacStatusError with a sentence for the learner.
 */
import { parseTcpUrl } from '../config/schema.ts';
import type { AppContext } from '../app/context.ts';
import type { Lab } from '../domain/lab.ts';
import type { Stack } from '../domain/stack.ts';
import { GUAC_STATUS } from './guacamole-protocol.ts';
import { GuacStatusError } from './guac-status-error.ts';
import { sentence, type Sentence } from '../errors/sentence.ts';
import { closeGuacdSession, joinGuacdSession, openGuacdSession, type GuacdSession, type RdpSettings } from './guacd-handshake.ts';
import type { LabServer } from '../domain/lab-servers.ts';
import { isLoopback, openRdpTarget } from './rdp-target.ts';

export interface OpenedRdp {
  session: GuacdSession;
  close(): void;
}

export interface RdpGrant {
  stack: Stack;
  lab: Lab;
  server: LabServer;
  readOnly: boolean;
}

type Display = Pick<RdpSettings, 'width' | 'height' | 'dpi' | 'timezone' | 'audio' | 'video' | 'image'>;

const MIMETYPE = /^[a-z]+\/[A-Za-z0-9.+-]+(;[A-Za-z0-9=.,+-]+)*$/;
const TIMEZONE = /^[A-Za-z0-9_+\-/]{1,64}$/;

function intIn(value: unknown, min: number, max: number, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) ? Math.min(Math.max(n, min), max) : fallback;
}

function list(value: unknown): string[] {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values.filter((v): v is string => typeof v === 'string' && v.length <= 100 && MIMETYPE.test(v)).slice(0, 16);
}

/** The page's display from the socket's query; out-of-range numbers are clamped, unknown values dropped. */
export function displayFromQuery(query: Record<string, unknown>): Display {
  const tz = typeof query.tz === 'string' && TIMEZONE.test(query.tz) ? query.tz : undefined;
  return {
    width: intIn(query.width, 64, 8192, 1024),
    height: intIn(query.height, 64, 8192, 768),
    dpi: intIn(query.dpi, 48, 480, 96),
    ...(tz ? { timezone: tz } : {}),
    audio: list(query.audio),
    video: list(query.video),
    image: list(query.image),
  };
}

function configError(said: Sentence, detail: string): GuacStatusError {
  return new GuacStatusError(said, detail, GUAC_STATUS.serverError);
}

export async function openRdpSession(ctx: AppContext, grant: RdpGrant, query: Record<string, unknown>): Promise<OpenedRdp> {
  const guacd = parseTcpUrl(ctx.config.guacd_url ?? '');
  if (!guacd) {
    throw configError(sentence('screen.desktopNoGuacd'), 'guacd_url is not set');
  }
  const secrets = await ctx.stacks.secrets(grant.stack.id);
  if (!secrets.password) {
    throw configError(sentence('screen.desktopNoLabPassword'), `stack ${grant.stack.id} has no password output`);
  }
  const target = await openRdpTarget(grant.stack, grant.lab, secrets, grant.server, isLoopback(guacd.host));
  try {
    const settings: RdpSettings = {
      hostname: target.hostname,
      port: target.port,
      username: grant.lab.user,
      password: secrets.password,
      readOnly: grant.readOnly,
      ...displayFromQuery(query),
    };
    const session = await openGuacdSession(guacd, settings);
    const window = setTimeout(() => target.stopAccepting(), ctx.config.rdp_forward_window * 1000);
    window.unref();
    return {
      session,
      close: () => {
        clearTimeout(window);
        closeGuacdSession(session);
        target.close();
      },
    };
  } catch (error) {
    target.close();
    throw error;
  }
}

/**
 * Joins a learner's running session as course staff watching it (rdp-shadow-bridge.ts): no lab login or
 * forward is needed, the learner's connection has them. The watcher's display and media types come from
 * its socket's query, as the learner's do.
 */
export async function joinRdpSession(ctx: AppContext, connectionId: string, readOnly: boolean, query: Record<string, unknown>): Promise<GuacdSession> {
  const guacd = parseTcpUrl(ctx.config.guacd_url ?? '');
  if (!guacd) throw configError(sentence('screen.desktopNoGuacd'), 'guacd_url is not set');
  return joinGuacdSession(guacd, connectionId, { readOnly, ...displayFromQuery(query) });
}
