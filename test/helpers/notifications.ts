import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A LISTEN connection that records what arrives on one channel. */
export interface Recorder {
  /** Payloads received so far, parsed as JSON, barrier markers left out. */
  readonly received: unknown[];
  /**
   * Resolves once everything committed before this call has been received: it NOTIFYs a unique
   * marker and waits for it, since PostgreSQL delivers notifications in commit order.
   */
  barrier(): Promise<void>;
  close(): Promise<void>;
}

/** Starts recording notifications on `channel`. */
export async function recordNotifications(url: string, channel: string): Promise<Recorder> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const received: unknown[] = [];
  const waiting = new Map<string, () => void>();
  client.on('notification', (message) => {
    if (message.channel !== channel) return;
    const payload = message.payload ?? '';
    const marker = waiting.get(payload);
    if (marker !== undefined) {
      waiting.delete(payload);
      marker();
      return;
    }
    received.push(JSON.parse(payload));
  });
  await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
  return {
    received,
    async barrier() {
      const marker = `barrier:${randomBytes(6).toString('hex')}`;
      const arrived = new Promise<void>((resolve) => waiting.set(marker, resolve));
      await client.query('SELECT pg_notify($1, $2)', [channel, marker]);
      await arrived;
    },
    close: () => client.end(),
  };
}
