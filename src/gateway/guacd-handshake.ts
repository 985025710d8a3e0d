/**
 * The Guacamole handshake with guacd, done by the server so that the lab's password never reaches the
 * browser: `select rdp`, read guacd's `args` (the parameter names it wants, in its order), answer with
 * the display size and the client's media types, then `connect` with the values, and wait for `ready`.
 * Joining a learner's running connection (course staff watching it) is the same handshake with the
 * connection's id in `select` (guacd 1.5: src/guacd/connection.c routes a `$`-id to the running process)
 * and, as guacamole-client's shared connections do, only the `read-only` parameter set: a joining user's
 * other RDP settings are not used, so the lab's password is not sent again. guacd answers an unknown id
 * with `error "No such connection." 0x0204` and closes.
 *
 * Why not guacamole-lite: its only export is a server that opens its own WebSocket server on the HTTP
 * server (outside fastify's routing, so our token check before the upgrade would not run) and takes the
 * connection settings from its own AES token in the URL. Its guacd client is an internal file that
 * decodes each TCP chunk separately (a UTF-8 character split between chunks is corrupted), has no
 * backpressure and a fixed 10 s inactivity limit. The protocol is small enough to speak here.
 */
import { connect, type Socket } from 'node:net';
import { encodeInstruction, GUAC_STATUS, InstructionReader, type Instruction } from './guacamole-protocol.ts';
import { GuacStatusError } from './guac-status-error.ts';
import { sentence, type Sentence } from '../errors/sentence.ts';

/** What the page asked for (validated) and where and as whom guacd connects. */
export interface RdpSettings {
  hostname: string;
  port: number;
  username: string;
  password: string;
  readOnly: boolean;
  width: number;
  height: number;
  dpi: number;
  timezone?: string;
  audio: string[];
  video: string[];
  image: string[];
}

export interface GuacdSession {
  socket: Socket;
  reader: InstructionReader;
  /** guacd's id for the connection (from `ready`). */
  id: string;
  /** Instructions that arrived together with `ready`, to relay first. */
  early: Instruction[];
}

/** The protocol version this server and the page's guacamole-common-js speak. */
const OUR_VERSION = [1, 5, 0];

function versionOf(name: string): number[] | undefined {
  const match = /^VERSION_(\d+)_(\d+)_(\d+)$/.exec(name);
  return match ? match.slice(1).map(Number) : undefined;
}

function older(a: number[], b: number[]): number[] {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i] ? a : b;
  return a;
}

/** The values for guacd's `args`, by name; parameters we do not set are sent empty (guacd's default). */
export function connectValues(names: string[], settings: RdpSettings): { values: string[]; version: number[] } {
  let version = [1, 0, 0];
  const known: Record<string, string> = {
    hostname: settings.hostname,
    port: String(settings.port),
    username: settings.username,
    password: settings.password,
    security: 'any',
    'ignore-cert': 'true',
    // Enforced by guacd too, not only by the page sending no input.
    'read-only': settings.readOnly ? 'true' : '',
    'resize-method': 'display-update',
    // guacd's default is 16-bit colour, which bands gradients and photos on lab desktops.
    'color-depth': '24',
  };
  const values = names.map((name) => {
    const theirs = versionOf(name);
    if (!theirs) return known[name] ?? '';
    version = older(theirs, OUR_VERSION);
    return `VERSION_${version.join('_')}`;
  });
  return { values, version };
}

/**
 * A joining user's values for guacd's `args`: the protocol version, `read-only`, and nothing else (a
 * watcher's input is fixed by `read-only` when it joins: guacd 1.5's RDP join handler installs no key or
 * mouse handler for a read-only user, and never changes that later).
 */
export function joinValues(names: string[], readOnly: boolean): { values: string[]; version: number[] } {
  let version = [1, 0, 0];
  const values = names.map((name) => {
    const theirs = versionOf(name);
    if (theirs) {
      version = older(theirs, OUR_VERSION);
      return `VERSION_${version.join('_')}`;
    }
    return name === 'read-only' && readOnly ? 'true' : '';
  });
  return { values, version };
}

/** A joining user's display and media types (the size of the learner's desktop is the learner's). */
export type JoinSettings = Pick<RdpSettings, 'readOnly' | 'width' | 'height' | 'dpi' | 'timezone' | 'audio' | 'video' | 'image'>;

function handshakeReply(names: string[], settings: JoinSettings, connectValues: (names: string[]) => { values: string[]; version: number[] }): string {
  const { values, version } = connectValues(names);
  const atLeast = (minor: number) => version[0] > 1 || (version[0] === 1 && version[1] >= minor);
  return [
    encodeInstruction('size', settings.width, settings.height, settings.dpi),
    encodeInstruction('audio', ...settings.audio),
    encodeInstruction('video', ...settings.video),
    encodeInstruction('image', ...settings.image),
    atLeast(1) && settings.timezone ? encodeInstruction('timezone', settings.timezone) : '',
    encodeInstruction('connect', ...values),
  ].join('');
}

/** How long guacd gets to read `disconnect` before the socket is cut anyway. */
const DISCONNECT_GRACE_MS = 2_000;

/**
 * Ends a session the way guacamole-common-js does, with `disconnect`: guacd 1.5 does not notice a
 * closed TCP connection from its user until its 15 s "user is not responding" timeout, so a bare close
 * would leave the RDP login open on the lab's desktop (and a reload meeting it there) for that long.
 */
export function closeGuacdSession(session: GuacdSession): void {
  const { socket } = session;
  if (socket.destroyed) return;
  socket.end(encodeInstruction('disconnect'));
  // A paused socket never reads guacd's own close, and would then wait for the timer.
  socket.resume();
  setTimeout(() => socket.destroy(), DISCONNECT_GRACE_MS).unref();
}

const UNAVAILABLE = sentence('screen.guacdUnavailable');

/** guacd's status for a `select` naming no running connection (libguac GUAC_PROTOCOL_STATUS_RESOURCE_NOT_FOUND). */
const RESOURCE_NOT_FOUND = 0x0204;

export function openGuacdSession(guacd: { host: string; port: number }, settings: RdpSettings, timeoutMs = 15_000): Promise<GuacdSession> {
  return handshake(guacd, 'rdp', (names) => handshakeReply(names, settings, (n) => connectValues(n, settings)), () => sentence('screen.guacdRefused'), timeoutMs);
}

/**
 * Joins the running guacd connection `connectionId` as one more user. A refusal because the connection
 * is gone (the learner's session ended meanwhile) says so, for the watcher.
 */
export function joinGuacdSession(guacd: { host: string; port: number }, connectionId: string, settings: JoinSettings, timeoutMs = 15_000): Promise<GuacdSession> {
  return handshake(
    guacd,
    connectionId,
    (names) => handshakeReply(names, settings, (n) => joinValues(n, settings.readOnly)),
    (status) => sentence(status === RESOURCE_NOT_FOUND ? 'class.shadowDesktopGone' : 'screen.guacdRefused'),
    timeoutMs,
  );
}

function handshake(
  guacd: { host: string; port: number },
  select: string,
  reply: (names: string[]) => string,
  refused: (status: number) => Sentence,
  timeoutMs: number,
): Promise<GuacdSession> {
  return new Promise((resolve, reject) => {
    const socket = connect(guacd.port, guacd.host);
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    const reader = new InstructionReader();
    let phase: 'args' | 'ready' = 'args';
    const fail = (error: GuacStatusError) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => fail(new GuacStatusError(UNAVAILABLE, `guacd ${guacd.host}:${guacd.port}: no ${phase} within ${timeoutMs} ms`, GUAC_STATUS.upstreamTimeout)), timeoutMs);
    const where = `guacd ${guacd.host}:${guacd.port}`;

    const onData = (text: string) => {
      let instructions: Instruction[];
      try {
        instructions = reader.push(text);
      } catch (error) {
        return fail(new GuacStatusError(UNAVAILABLE, `${where}: ${(error as Error).message}`, GUAC_STATUS.upstreamError));
      }
      for (let i = 0; i < instructions.length; i++) {
        const { opcode, args } = instructions[i];
        if (opcode === 'error') {
          // A refused handshake is guacd's set-up (no RDP support, a limit), not something a retry fixes.
          const said: Sentence = refused(Number(args[1]));
          return fail(
            new GuacStatusError(
              said,
              `${where} refused the handshake: ${args[0] ?? ''} (status ${args[1] ?? '?'})`,
              GUAC_STATUS.serverError,
            ),
          );
        }
        if (phase === 'args' && opcode === 'args') {
          phase = 'ready';
          socket.write(reply(args));
        } else if (phase === 'ready' && opcode === 'ready') {
          clearTimeout(timer);
          socket.off('data', onData);
          socket.off('close', onClose);
          socket.off('error', onError);
          // No 'data' listener until the bridge adds its own: paused, nothing is lost.
          socket.pause();
          return resolve({ socket, reader, id: args[0] ?? '', early: instructions.slice(i + 1) });
        } else {
          return fail(new GuacStatusError(UNAVAILABLE, `${where}: expected ${phase}, got ${opcode}`, GUAC_STATUS.upstreamError));
        }
      }
    };
    const onClose = () => fail(new GuacStatusError(UNAVAILABLE, `${where} closed the connection while waiting for ${phase}`, GUAC_STATUS.upstreamUnavailable));
    const onError = (error: Error) => fail(new GuacStatusError(UNAVAILABLE, `${where}: ${error.message}`, GUAC_STATUS.upstreamUnavailable, { cause: error }));
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', onError);
    socket.once('connect', () => socket.write(encodeInstruction('select', select)));
  });
}
