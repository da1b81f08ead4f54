import pg from 'pg';
import type { PoolerMode, ResolvedQueueOptions } from '../config/options.js';
import { describeError } from '../kernel/error-record.js';

/**
 * The connection of the pool a queue makes itself, with session settings added after any
 * `options` the connection string gives (none behind a pooler, which refuses startup options:
 * PgBouncer does unless `ignore_startup_parameters` lists them, and then drops them; the PgBouncer
 * guide says how to set this for the role instead). `plan_cache_mode=force_generic_plan`: pgpulse's
 * statements are written to have one good plan whatever the statistics say (by primary key, or
 * down a partial index), so planning them again on every call is pure cost. Left to itself,
 * PostgreSQL re-plans a prepared statement whenever its generic plan looks costlier than the
 * custom plans it has averaged, which a backlog that grew since those were made causes for
 * thousands of calls (bench/NOTES.md).
 */
export function ownPoolConnection(
  connectionString: string,
  pooler: PoolerMode = 'none',
): {
  connectionString: string;
  options?: string;
} {
  if (pooler !== 'none') return { connectionString };
  const ours = '-c plan_cache_mode=force_generic_plan';
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    return { connectionString, options: ours }; // not a URL (a socket path)
  }
  // pg lets the connection string's parameters win over the config's: merge them there.
  const given = url.searchParams.get('options');
  url.searchParams.set('options', given ? `${given} ${ours}` : ours);
  return { connectionString: url.toString() };
}

/**
 * A `pg.Client` whose opening of a connection fails after `connectTimeoutMs`. The pool's own
 * `connectionTimeoutMillis` would also bound how long a call waits for a busy pool's next free
 * client, and fail sends with "timeout exceeded when trying to connect" under a burst of load
 * that the pool would have served moments later; so the pool waits without a bound, and the
 * bound is on the connection alone (an unreachable or silent host still fails in time).
 */
function clientClass(connectTimeoutMs: number): typeof pg.Client {
  return class TimedClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(
        typeof config === 'object'
          ? { ...config, connectionTimeoutMillis: connectTimeoutMs }
          : config,
      );
    }

    // node-postgres reports its own connect timeout as a bare "Connection terminated": say why.
    // (The pool connects with a callback.)
    override connect(): Promise<pg.Client>;
    override connect(callback: (err: Error | null, client?: pg.Client) => void): void;
    override connect(
      callback?: (err: Error | null, client?: pg.Client) => void,
    ): Promise<pg.Client> | undefined {
      const started = performance.now();
      const named = (error: Error): Error =>
        performance.now() - started >= connectTimeoutMs && !/timeout/i.test(error.message)
          ? new Error(`timeout expired after ${connectTimeoutMs} ms when trying to connect`, {
              cause: error,
            })
          : error;
      if (callback === undefined) {
        return super.connect().catch((error: Error) => {
          throw named(error);
        });
      }
      super.connect((error: Error | null) => callback(error ? named(error) : null, this));
      return undefined;
    }
  };
}

/**
 * The pool of a queue given a connection string (a pool given in `options` is used as it is):
 * bounded connect time (opening a connection, not waiting for a free one), `application_name`
 * pgpulse, the session settings above. An idle client
 * that loses its server is reported and dropped, and the pool goes on; once `closing()` says so,
 * connections ending is what was asked for. Idle connections do not keep the process alive
 * (`allowExitOnIdle`): once its last worker stopped, a process whose work is done exits without
 * `close()` (it would otherwise wait for the pool's idle timeout).
 */
export function createPool(options: ResolvedQueueOptions, closing: () => boolean): pg.Pool {
  const { connection } = options;
  if (connection.kind === 'pool') return connection.pool;
  const pool = new pg.Pool({
    ...ownPoolConnection(connection.connectionString, options.pooler),
    max: connection.poolSize,
    Client: clientClass(options.connectTimeoutMs),
    application_name: 'pgpulse',
    allowExitOnIdle: true,
  });
  pool.on('error', (error) => {
    if (closing()) return;
    options.logger.warn('pgpulse: idle database connection failed', {
      scope: 'pgpulse.pool',
      error: describeError(error),
    });
  });
  return pool;
}
