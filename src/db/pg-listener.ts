/**
 * LISTEN on its own connection: a pooled connection goes back to the pool between queries and would
 * stop hearing notifications. PostgreSQL does not replay notifications sent while nobody listened, so a
 * lost connection is reported as a gap (the listener must forget what it derived from them) and the
 * connection is made again with a growing pause.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { ChannelListener } from './database.ts';

const FIRST_RETRY_MS = 200;
const LAST_RETRY_MS = 5000;
const PROBE_PREFIX = 'probe:';

export interface ListenOptions {
  /**
   * Sends `NOTIFY channel, payload` from another session. Listening counts as established only once
   * such a probe arrives, because behind a transaction-pooling proxy LISTEN succeeds and then hears nothing.
   */
  probe?: (payload: string) => Promise<void>;
  probeTimeoutMs?: number;
}

export async function listenPostgres(url: string, channel: string, listener: ChannelListener, options: ListenOptions = {}): Promise<() => Promise<void>> {
  const probes = new Map<string, () => void>();
  let closed = false;
  let current: pg.Client | null = null;
  let retryMs = FIRST_RETRY_MS;
  let retry: NodeJS.Timeout | undefined;

  const lost = (client: pg.Client, error: Error) => {
    if (current !== client) return; // error and end both fire for one loss
    current = null;
    client.removeAllListeners('notification');
    client.end().catch(() => undefined);
    listener.gap(error);
    if (closed) return;
    retry = setTimeout(() => void connect(), retryMs);
    retryMs = Math.min(retryMs * 2, LAST_RETRY_MS);
  };

  /** Resolves with the error when this attempt failed (a retry is then scheduled), else null. */
  const connect = async (): Promise<Error | null> => {
    const client = new pg.Client({ connectionString: url });
    current = client;
    client.on('notification', (message) => {
      if (message.channel !== channel) return;
      const payload = message.payload ?? '';
      if (payload.startsWith(PROBE_PREFIX)) probes.get(payload)?.();
      else listener.message(payload);
    });
    client.on('error', (error) => lost(client, error));
    client.on('end', () => lost(client, new Error('the notification connection closed')));
    try {
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      lost(client, error as Error);
      return error as Error;
    }
    if (current !== client) return null;
    if (options.probe && !(await probed(options.probe))) {
      // Not a start failure: stacklab works without notifications, only keepalives are slower.
      lost(client, new Error('a notification sent through the pool never reached the listening connection; is DATABASE_URL a transaction-pooling proxy?'));
      return null;
    }
    if (current !== client) return null;
    retryMs = FIRST_RETRY_MS;
    listener.listening();
    return null;
  };

  const probed = async (probe: (payload: string) => Promise<void>): Promise<boolean> => {
    const token = PROBE_PREFIX + randomBytes(6).toString('hex');
    let timer: NodeJS.Timeout | undefined;
    const heard = new Promise<boolean>((resolve) => {
      probes.set(token, () => resolve(true));
      timer = setTimeout(() => resolve(false), options.probeTimeoutMs ?? 5000);
    });
    try {
      await probe(token);
      return await heard;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
      probes.delete(token);
    }
  };

  // The first connection must work, so a wrong URL fails the start instead of retrying quietly.
  const failed = await connect();
  if (failed) {
    closed = true;
    clearTimeout(retry);
    throw failed;
  }
  return async () => {
    closed = true;
    clearTimeout(retry);
    const client = current;
    current = null;
    await client?.end().catch(() => undefined);
  };
}
