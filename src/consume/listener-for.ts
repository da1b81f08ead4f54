import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Context } from '../context.js';
import { Listener } from './notifications.js';

/**
 * The listener of a queue, on its own connection (`listenConnectionString`, else the queue's),
 * or null when the queue was configured with `listen: false`.
 */
export function listenerFor(ctx: Context): Listener | null {
  const { listen, listenConnectionString, connection, schema, logger, connectTimeoutMs } =
    ctx.options;
  if (!listen) return null;
  const config: pg.ClientConfig =
    listenConnectionString !== null
      ? { connectionString: listenConnectionString, connectionTimeoutMillis: connectTimeoutMs }
      : connection.kind === 'url'
        ? {
            connectionString: connection.connectionString,
            connectionTimeoutMillis: connectTimeoutMs,
          }
        : // A pg.Pool keeps the client configuration it was created with.
          (connection.pool as unknown as { options: pg.ClientConfig }).options;
  return new Listener({
    connection: config,
    logger,
    // A channel of this listener's own: schema + random suffix, within 63 bytes.
    probeChannel: `${schema}.probe.${randomBytes(4).toString('hex')}`,
    sendProbe: async (channel, payload) => {
      await ctx.run('notify', [channel, payload]);
    },
    probeTimeoutMs: 3000,
    livenessCheckMs: 10_000,
  });
}
