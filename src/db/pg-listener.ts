/**
 * LISTEN on its own connection: a pooled connection goes back to the pool between queries and would
 * stop hearing notifications. PostgreSQL does not replay notifications sent while nobody listened, so a
 * lost connection is reported as a gap (the listener must forget what it derived from them) and the
 * connection is made again with a growing pause.
 */
import pg from 'pg';
import type { ChannelListener } from './database.ts';

const FIRST_RETRY_MS = 200;
const LAST_RETRY_MS = 5000;

export async function listenPostgres(url: string, channel: string, listener: ChannelListener): Promise<() => Promise<void>> {
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
      if (message.channel === channel) listener.message(message.payload ?? '');
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
    retryMs = FIRST_RETRY_MS;
    listener.listening();
    return null;
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
