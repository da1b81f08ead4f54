import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { ResolvedQueueOptions } from '../config/options.js';
import type { Context } from '../db/context.js';
import { Listener } from './listener.js';

/**
 * Why a queue has no LISTEN connection, or null when it has one: `listen: false`, or a
 * transaction-mode pooler and no direct connection to listen on.
 */
export function noListenReason(options: ResolvedQueueOptions): string | null {
  if (!options.listen) return 'the queue has listen: false';
  if (options.pooler === 'transaction' && options.listenConnectionString === null) {
    return (
      "the queue connects through a transaction-mode pooler (pooler: 'transaction'), which " +
      'cannot deliver notifications, and has no listenConnectionString'
    );
  }
  return null;
}

/**
 * The listener of a queue, on its own connection (`listenConnectionString`, else the queue's),
 * or null when it has none (see {@link noListenReason}). A transaction-mode pooler without a
 * direct connection warns, once per queue (this is called once), and consumers poll: LISTEN
 * through the pooler would leave a server connection of the pool listening for nobody.
 */
export function listenerFor(ctx: Context): Listener | null {
  const { listenConnectionString, connection, schema, logger, connectTimeoutMs } = ctx.options;
  const reason = noListenReason(ctx.options);
  if (reason !== null) {
    if (ctx.options.listen) {
      logger.warn(
        `pgpulse: LISTEN/NOTIFY is off: ${reason}. Consumers run on polling alone ` +
          '(pollIntervalMs). Give a direct connection for listening (listenConnectionString, ' +
          'PGPULSE_LISTEN_DATABASE_URL), or set listen: false to poll without this warning.',
        { scope: 'pgpulse.listener' },
      );
    }
    return null;
  }
  const config: pg.ClientConfig =
    listenConnectionString !== null
      ? { connectionString: listenConnectionString, connectionTimeoutMillis: connectTimeoutMs }
      : connection.kind === 'url'
        ? {
            connectionString: connection.connectionString,
            connectionTimeoutMillis: connectTimeoutMs,
          }
        : // The pool's own client configuration (pg.Pool's public `options`).
          connection.pool.options;
  return new Listener({
    connection: config,
    logger,
    // A channel of this listener's own: schema + random suffix, within 63 bytes.
    probeChannel: `${schema}.probe.${randomBytes(4).toString('hex')}`,
    sendProbe: async (channel, payload) => {
      await ctx.run('notify', [channel, payload]);
    },
    probeTimeoutMs: 3000,
    reprobeMs: 30_000,
    livenessCheckMs: 10_000,
  });
}
