import pg from 'pg';
import { QueueAdmin } from './admin/queues.js';
import { type PoolerMode, type QueueOptions, resolveQueueOptions } from './config/options.js';
import { createContext } from './db/context.js';
import { JobLifecycle } from './job-lifecycle.js';
import { describeError } from './kernel/error-record.js';
import { QueueClosedError } from './kernel/errors.js';
import type { ClientOption, SendResult } from './kernel/types.js';
import { checkName, invalid } from './kernel/validate.js';
import { type MetricsOptions, QueueMetrics } from './observe/metrics.js';
import { traceSend } from './observe/tracing.js';
import {
  type AnyJobDefinition,
  applyDefinition,
  type InputOf,
  isJobDefinition,
  validatePayload,
  withDefinitionDefaults,
} from './produce/define-job.js';
import {
  type JobSpec,
  resolveBatch,
  resolveJobSpec,
  type SendCallOptions,
  type SendOptions,
  splitSendOptions,
} from './produce/job-spec.js';
import { sendJobs } from './produce/producer.js';
import { type MigrateResult, migrate } from './schema/migrate.js';

/** Options of one `send` call: the job's own, what to do with a duplicate key, a client. */
export type SendCallAndJobOptions = SendOptions & SendCallOptions & ClientOption;

/**
 * The connection of the pool a queue makes itself, with session settings added after any
 * `options` the connection string gives (none behind a pooler, which refuses startup options:
 * PgBouncer does unless `ignore_startup_parameters` lists them, and then drops them; the README
 * says how to set this for the role instead). `plan_cache_mode=force_generic_plan`: pgpulse's
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
 * What every {@link Queue} has besides its consumers: the connection, the schema, producing
 * jobs, queue control and metrics, on top of the claim-and-settle API of {@link JobLifecycle}.
 */
export abstract class QueueBase extends JobLifecycle {
  /** Queue control: stored settings, limits, fairness, pause and resume, purge and delete. */
  readonly queues: QueueAdmin;
  /** @internal Whether the queue made its pool (and so ends it on close). */
  protected readonly ownsPool: boolean;
  /** @internal Set as soon as `close()` is called: new work is refused. */
  protected closing = false;

  /** @throws ConfigurationError for bad options; nothing connects until the first call. */
  constructor(options: QueueOptions) {
    const resolved = resolveQueueOptions(options);
    const { connection } = resolved;
    const pool =
      connection.kind === 'pool'
        ? connection.pool
        : new pg.Pool({
            ...ownPoolConnection(connection.connectionString, resolved.pooler),
            max: connection.poolSize,
            connectionTimeoutMillis: resolved.connectTimeoutMs,
            application_name: 'pgpulse',
          });
    super(createContext(pool, resolved));
    this.queues = new QueueAdmin(this.ctx);
    this.ownsPool = connection.kind === 'url';
    if (this.ownsPool) {
      // An idle client that loses its server emits here; pg drops it and the pool goes on.
      // Once the queue is closing, connections ending is what was asked for.
      pool.on('error', (error) => {
        if (this.closing) return;
        resolved.logger.warn('pgpulse: idle database connection failed', describeError(error));
      });
    }
  }

  /** The pool the queue runs on. */
  get pool(): pg.Pool {
    return this.ctx.pool;
  }

  /**
   * Installs or upgrades the schema; safe to call from many processes at once. On a current
   * schema it only reads the ledger, so an application role with only `grant()`'s privileges
   * may call it; applying migrations needs the schema's owner (see {@link migrate}).
   */
  async migrate(): Promise<MigrateResult> {
    return migrate(this.ctx.pool, { schema: this.options.schema });
  }

  /**
   * Sends one job. With `options.client`, the job is written on that connection, e.g. inside your
   * own transaction: it exists, and wakes workers, only if that transaction commits. Given a job
   * definition ({@link defineJob}), the payload is typed and validated by its schema, and the
   * job takes the definition's name and defaults.
   *
   * @returns the job's id; with an `idempotencyKey` already held, the holder's id with
   *   `duplicate: true` (see `onDuplicate`).
   * @throws ValidationError for a bad queue name, payload or option; nothing is written.
   * @throws JobAlreadyExistsError with `onDuplicate: 'reject'` when the key is held.
   * @example
   * ```ts
   * await queue.send('emails', { to: 'ada@example.com' }, { delayMs: 60_000 });
   * await queue.send('emails', welcomeEmail, { to: 'ada@example.com' }); // a definition
   * ```
   */
  send<D extends AnyJobDefinition>(
    queue: string,
    definition: D,
    payload: InputOf<D>,
    options?: SendCallAndJobOptions,
  ): Promise<SendResult>;
  send<P>(queue: string, payload: P, options?: SendCallAndJobOptions): Promise<SendResult>;
  async send(queue: string, ...args: unknown[]): Promise<SendResult> {
    this.assertOpen();
    checkName('queue', queue);
    let payload = args[0];
    let options = args[1] as SendCallAndJobOptions | undefined;
    if (isJobDefinition(args[0])) {
      const { job, ...call } = splitSendOptions(args[2] as SendCallAndJobOptions | undefined);
      payload = await validatePayload(args[0], args[1]);
      options = { ...withDefinitionDefaults(args[0], job), ...call } as SendCallAndJobOptions;
    }
    const { job, client, onDuplicate } = splitSendOptions(options);
    const spec = resolveJobSpec('', payload, job, this.specDefaults());
    const [result] = await traceSend(queue, 1, (traceContext) =>
      sendJobs(this.ctx, queue, [spec], { client, onDuplicate, traceContext }),
    );
    if (result === undefined) throw new Error('send_jobs returned no result');
    return result;
  }

  /**
   * Sends many jobs to one queue in one statement (all or nothing). Results are in input order.
   * Given a job definition first, every item is of that type (validated, with its defaults).
   *
   * @throws ValidationError naming the first bad item (`items[3].payload`); nothing is written.
   * @throws JobAlreadyExistsError with `onDuplicate: 'reject'` when a key is held.
   */
  sendBatch<D extends AnyJobDefinition>(
    queue: string,
    definition: D,
    items: readonly JobSpec<InputOf<D>>[],
    options?: SendCallOptions & ClientOption,
  ): Promise<SendResult[]>;
  sendBatch<P>(
    queue: string,
    items: readonly JobSpec<P>[],
    options?: SendCallOptions & ClientOption,
  ): Promise<SendResult[]>;
  async sendBatch(queue: string, ...args: unknown[]): Promise<SendResult[]> {
    this.assertOpen();
    checkName('queue', queue);
    const [first, second, third] = args;
    const items = isJobDefinition(first) ? await applyDefinition(first, second) : first;
    const options = isJobDefinition(first) ? third : second;
    const specs = resolveBatch(items, this.specDefaults());
    const { job, client, onDuplicate } = splitSendOptions(options as SendCallAndJobOptions);
    if (job !== undefined && Object.keys(job).length > 0) {
      throw invalid(
        'options',
        'an object with only `client` and `onDuplicate`',
        Object.keys(job)[0],
      );
    }
    return traceSend(queue, specs.length, (traceContext) =>
      sendJobs(this.ctx, queue, specs, { client, onDuplicate, traceContext }),
    );
  }

  /**
   * Prometheus metrics of every queue in the schema and of this process's workers (prom-client);
   * `serve()` them on an HTTP endpoint if you like. `close()` of the queue also closes them and
   * any server they started.
   */
  metrics(options?: MetricsOptions): QueueMetrics {
    return this.track(new QueueMetrics(this.ctx, () => this.stats(), options));
  }

  /** @internal New work is refused as soon as `close()` is called; in-flight work finishes. */
  protected assertOpen(): void {
    if (this.closing) throw new QueueClosedError();
  }

  /** @internal What a queue contributes to each job's checks. */
  protected specDefaults(): { maxPayloadBytes: number } {
    return { maxPayloadBytes: this.options.maxPayloadBytes };
  }
}
