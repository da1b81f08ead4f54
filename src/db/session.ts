import pg from 'pg';

/** Where a session comes from: a connection string, a pool, or a client the caller holds. */
export type SessionSource = string | pg.Pool | pg.Client | pg.PoolClient;

/** Options of {@link withSession}. */
export interface SessionOptions {
  /** For a connection string: how long connecting may take, in ms. Default 10,000. */
  connectTimeoutMs?: number;
  /** For a connection string: shown in `pg_stat_activity`. Default `pgpulse`. */
  applicationName?: string;
}

/**
 * Runs `work` on one connection of `source` (opened, and closed, here when it is a connection
 * string or a pool) for several statements in a row.
 *
 * A client held across awaits needs an `'error'` listener: node-postgres emits `'error'` on a
 * client whose connection drops (a server restart, `pg_terminate_backend`, a network cut), and an
 * unheard `'error'` ends the process. The listener here records the error; the statement in
 * flight rejects on its own, so `work` sees the failure as a rejection. A pool's client that
 * failed is destroyed on release rather than handed to the next caller.
 */
export async function withSession<T>(
  source: SessionSource,
  work: (client: pg.ClientBase) => Promise<T>,
  options: SessionOptions = {},
): Promise<T> {
  if (typeof source === 'string') {
    const client = new pg.Client({
      connectionString: source,
      application_name: options.applicationName ?? 'pgpulse',
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    });
    const broken = listenForErrors(client);
    try {
      await client.connect();
      return await work(client);
    } finally {
      broken.stop();
      await client.end().catch(() => undefined);
    }
  }
  if (isPool(source)) {
    const client = await source.connect();
    const broken = listenForErrors(client);
    let failure: unknown;
    try {
      return await work(client);
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      broken.stop();
      // A connection that failed, or whose work failed mid-way (a transaction may be open, a
      // session lock held), is closed rather than reused.
      const reason = broken.error ?? failure;
      client.release(reason instanceof Error ? reason : reason === undefined ? undefined : true);
    }
  }
  // The caller's own client: the caller owns its lifetime; we only listen while we use it.
  const broken = listenForErrors(source);
  try {
    return await work(source);
  } finally {
    broken.stop();
  }
}

/** Records `'error'` events of `client` until `stop()`. */
export function listenForErrors(client: pg.ClientBase): { readonly error: unknown; stop(): void } {
  let error: unknown;
  const onError = (cause: unknown) => {
    error ??= cause;
  };
  client.on('error', onError);
  return {
    get error() {
      return error;
    },
    stop: () => {
      // Keep swallowing: the client may still emit once its socket closes after we are done.
      if (error === undefined) client.removeListener('error', onError);
    },
  };
}

/** Duck-typed (the application may load its own copy of `pg`): only a pool counts clients. */
function isPool(source: pg.Pool | pg.Client | pg.PoolClient): source is pg.Pool {
  return 'totalCount' in source;
}
