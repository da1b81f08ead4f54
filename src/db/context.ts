import type pg from 'pg';
import type { ResolvedQueueOptions } from '../config/options.js';
import { ConnectionError, QueueClosedError } from '../kernel/errors.js';
import type { SqlExecutor } from '../kernel/types.js';
import { execute } from './execute.js';
import { poolerHint } from './pooler.js';
import { type PreparedQuery, type QueryName, type QueryRegistry, queriesFor } from './queries.js';
import { assertSchemaVersion } from './schema-version.js';
import { listenForErrors } from './session.js';

/** How a job this process held ended, for metrics. */
export interface SettledJob {
  readonly queue: string;
  readonly outcome: 'completed' | 'retried' | 'dead' | 'released';
  /** From the claim to the settlement, in ms. */
  readonly durationMs: number;
}

/** What every part of a queue shares: its pool, statements and options. */
export interface Context {
  /** Told of every job a consumer of this queue settled (metrics). */
  readonly observers: Set<(job: SettledJob) => void>;
  readonly pool: pg.Pool;
  readonly queries: QueryRegistry;
  readonly options: ResolvedQueueOptions;
  /**
   * Runs a registered statement on the pool, or on the caller's `client` when given (as text
   * with its values: a caller's executor need not be node-postgres, nor keep prepared
   * statements). The first call checks the schema version; every call after `close()` throws
   * `QueueClosedError`.
   */
  run<Row>(query: QueryName, values: readonly unknown[], client?: SqlExecutor): Promise<Row[]>;
  /**
   * Holds one pool connection while `work` runs statements on it (prepared, as on the pool), and
   * releases it after, closing it if its connection failed. For a caller that decides what to
   * send only once it has a connection (sends that waited for one go together). Does not check
   * `closed`: the caller did, when it took the work on.
   */
  withConnection<T>(work: (run: HeldRun) => Promise<T>): Promise<T>;
  /** Whether `close()` was called. */
  readonly closed: boolean;
  /** Makes every later `run` throw `QueueClosedError`. */
  markClosed(): void;
}

/** Runs a registered statement on the connection `withConnection` holds. */
export type HeldRun = <Row>(query: QueryName, values: readonly unknown[]) => Promise<Row[]>;

/** Builds the context of one queue over a pool it may or may not own. */
export function createContext(pool: pg.Pool, options: ResolvedQueueOptions): Context {
  // Through a transaction-mode pooler, consecutive statements of one pg client may run on
  // different server connections: a named statement prepared on one is missing on the next.
  const queries = queriesFor(options.schema, { named: options.pooler !== 'transaction' });
  const setup = {
    pooler: options.pooler,
    startupOptions: options.pooler === 'none' && options.connection.kind === 'url',
  };
  let hinted = false;
  /** Says once what to set when a failure looks like a pooler the queue was not told of. */
  const hintPooler = (error: unknown) => {
    if (hinted) return;
    const hint = poolerHint(error, setup);
    if (hint === undefined) return;
    hinted = true;
    options.logger.warn(hint, { scope: 'pgpulse.pool' });
  };
  let verified: Promise<void> | undefined;
  let closed = false;

  const verify = (): Promise<void> => {
    // A schema newer than the code but compatible with it logs its warning here, once.
    verified ??= assertSchemaVersion(pool, options.schema, options.logger).then(
      () => undefined,
      (error: unknown) => {
        verified = undefined; // not memoised: a later call may find the schema migrated
        throw error;
      },
    );
    return verified;
  };

  let ready = false;
  return {
    observers: new Set(),
    pool,
    queries,
    options,
    get closed() {
      return closed;
    },
    markClosed() {
      closed = true;
    },
    async run<Row>(query: QueryName, values: readonly unknown[], client?: SqlExecutor) {
      if (closed) throw new QueueClosedError();
      try {
        if (!ready) {
          await verify();
          ready = true;
        }
        return client === undefined
          ? await execute<Row>(pool, queries[query], values, options.schema, query)
          : await execute<Row>(client, unnamed(queries[query]), values, options.schema, query);
      } catch (error) {
        hintPooler(error);
        throw error;
      }
    },
    async withConnection<T>(work: (run: HeldRun) => Promise<T>): Promise<T> {
      if (!ready) {
        await verify();
        ready = true;
      }
      const client = await pool.connect();
      const broken = listenForErrors(client);
      let failed: Error | undefined;
      try {
        return await work(async <Row>(query: QueryName, values: readonly unknown[]) => {
          try {
            return await execute<Row>(client, queries[query], values, options.schema, query);
          } catch (error) {
            hintPooler(error);
            // A connection that failed goes, not back to the pool (as pool.query does).
            if (error instanceof ConnectionError) failed ??= error;
            throw error;
          }
        });
      } finally {
        broken.stop();
        client.release(broken.error instanceof Error ? broken.error : failed);
      }
    },
  };
}

/** A statement sent whole, as the unnamed statement: on a caller's connection. */
function unnamed(query: PreparedQuery): PreparedQuery {
  return query.name === undefined ? query : { name: undefined, text: query.text };
}

const contexts = new WeakMap<object, Context>();

/** @internal Ties a `Queue` to its context, for the parts of pgpulse built on a queue object. */
export function bindContext(owner: object, ctx: Context): void {
  contexts.set(owner, ctx);
}

/** @internal The context of a `Queue` (for the dashboard); throws for any other object. */
export function contextOf(owner: object): Context {
  const ctx = contexts.get(owner);
  if (ctx === undefined) throw new TypeError('expected a pgpulse Queue');
  return ctx;
}
