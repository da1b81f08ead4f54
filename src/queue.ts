import type pg from 'pg';
import type { Observable } from 'rxjs';
import { explainJob, type JobExplanation } from './admin/explain.js';
import { FlowAdmin } from './admin/flows.js';
import { GroupAdmin } from './admin/groups.js';
import { JobAdmin } from './admin/job-admin.js';
import type { CancelResult, ListJobsOptions } from './admin/jobs.js';
import { QueueAdmin } from './admin/queues.js';
import { WorkerRegistry } from './admin/workers.js';
import type { ClaimOptions } from './claim/claim.js';
import {
  MAX_DURATION_MS,
  type QueueOptions,
  type ResolvedQueueOptions,
  resolveQueueOptions,
} from './config/options.js';
import { withoutPasswords } from './config/shown-options.js';
import { type ConfigSources, loadQueueOptions } from './config/sources.js';
import { Consumers } from './consume/consumers.js';
import type { ReceivedJob } from './consume/observe.js';
import type { BatchWorkOptions, ObserveOptions, WorkOptions } from './consume/options.js';
import { PullApi } from './consume/pull.js';
import type { Worker } from './consume/worker.js';
import { bindContext, type Context, createContext } from './db/context.js';
import { createPool } from './db/pool.js';
import { inTransaction } from './db/transaction.js';
import type { BatchHandler } from './execute/batch.js';
import type { JobHandler } from './execute/executor.js';
import { runEvery } from './kernel/cleanup.js';
import { QueueClosedError } from './kernel/errors.js';
import type {
  ClaimedJob,
  FailingJob,
  Job,
  LeasedJob,
  QueueStats,
  SendResult,
} from './kernel/types.js';
import { checkInteger, checkKnownKeys, checkOptionsObject } from './kernel/validate.js';
import type { HeartbeatOutcome } from './lease/renew.js';
import { Maintenance } from './maintain/maintenance.js';
import type { PruneResult, Retention, RetentionOptions } from './maintain/retention.js';
import type { ReclaimedJob, Sweeper, SweeperOptions } from './maintain/sweeper.js';
import type { JobEvent } from './observe/job-events.js';
import { type MetricsOptions, QueueMetrics } from './observe/metrics.js';
import type { AnyJobDefinition, InputOf } from './produce/define-job.js';
import type { FlowNode } from './produce/flow-spec.js';
import type { BatchJob, BatchResult, FlowOptions, FlowResult } from './produce/flows.js';
import type { JobSpec, SendBatchOptions, SendOptions } from './produce/job-spec.js';
import { Producer } from './produce/producer.js';
import { Schedules } from './schedule/schedules.js';
import { type MigrateResult, migrate } from './schema/migrate.js';
import type { SettleOutcome } from './settle/outcome.js';
import type { Completion, FailOutcome, Failure, Release } from './settle/settler.js';

/**
 * A pgpulse queue on one PostgreSQL database: send jobs, consume them as a stream (`work`,
 * `observe`, `workBatch`) or claim and settle them yourself, inspect and maintain them. One
 * `Queue` serves every queue name in its schema. A façade: it owns the connection and hands
 * each call to the part that does it.
 *
 * @example
 * ```ts
 * const queue = new Queue({ connectionString: process.env.DATABASE_URL });
 * await queue.migrate();
 * const worker = queue.work('emails', async (job) => sendMail(job.payload, { signal: job.signal }));
 * await queue.send('emails', { to: 'ada@example.com' });
 * await queue.close(); // stops the worker gracefully, then the connections
 * ```
 */
export class Queue implements AsyncDisposable {
  /**
   * The validated options, with defaults filled in, and every password in a connection string
   * shown as `***` (the queue itself connects with the real ones).
   */
  readonly options: ResolvedQueueOptions;
  /** Queue control: stored settings, limits, fairness, pause and resume, purge and delete. */
  readonly queues: QueueAdmin;
  /**
   * Recurring schedules (cron or interval): set, get, list, pause, resume, trigger, remove. Any
   * process that works a schedule's queue fires its ticks; the database makes exactly one job per
   * tick, due on time.
   */
  readonly schedules: Schedules;
  /** Flows: read one with every job (`get`), or cancel what of it has not finished. */
  readonly flows: FlowAdmin;
  /** Limits of single groups (a job's `tenant`): overrides of the queue's group limits. */
  readonly groups: GroupAdmin;
  /** The live workers of the schema, every process's (the worker registry). */
  readonly workers: WorkerRegistry;
  readonly #ctx: Context;
  readonly #producer: Producer;
  readonly #consumers: Consumers;
  readonly #pull: PullApi;
  readonly #jobs: JobAdmin;
  readonly #maintenance: Maintenance;
  #closing: Promise<void> | undefined;

  /**
   * A queue configured from code, the environment and a YAML file, in that precedence (see
   * {@link loadQueueOptions}).
   *
   * @throws ConfigurationError naming the option, and the variable or file that set it.
   */
  static fromConfig(options?: QueueOptions, sources?: ConfigSources): Queue {
    return new Queue(loadQueueOptions(options, sources));
  }

  /** @throws ConfigurationError for bad options; nothing connects until the first call. */
  constructor(options: QueueOptions) {
    const resolved = resolveQueueOptions(options);
    this.options = withoutPasswords(resolved);
    this.#ctx = createContext(
      createPool(resolved, () => this.#closing !== undefined),
      resolved,
    );
    bindContext(this, this.#ctx);
    this.queues = new QueueAdmin(this.#ctx);
    this.schedules = new Schedules(this.#ctx);
    this.flows = new FlowAdmin(this.#ctx);
    this.groups = new GroupAdmin(this.#ctx);
    this.workers = new WorkerRegistry(this.#ctx);
    this.#producer = new Producer(this.#ctx);
    this.#consumers = new Consumers(this.#ctx);
    this.#pull = new PullApi(this.#ctx);
    this.#jobs = new JobAdmin(this.#ctx);
    this.#maintenance = new Maintenance(this.#ctx);
  }

  /** The pool the queue runs on. */
  get pool(): pg.Pool {
    return this.#ctx.pool;
  }

  /**
   * Installs or upgrades the schema; safe to call from many processes at once. On a current
   * schema it only reads the ledger, so an application role with only `grant()`'s privileges may
   * call it; applying migrations needs the schema's owner.
   */
  async migrate(): Promise<MigrateResult> {
    return migrate(this.#ctx.pool, { schema: this.options.schema });
  }

  /**
   * Sends one job. With `options.client` it is written on that connection (e.g. inside your own
   * transaction: it exists, and wakes workers, only if that commits). Given a job definition
   * (`defineJob()`), the payload is typed and validated by its schema.
   *
   * @returns its id; with an `idempotencyKey` already held, the holder's id with `duplicate: true`.
   * @throws ValidationError for a bad queue name, payload or option; nothing is written.
   * @throws JobAlreadyExistsError with `onDuplicate: 'reject'` when the key is held.
   */
  send<D extends AnyJobDefinition>(
    queue: string,
    definition: D,
    payload: InputOf<D>,
    options?: SendOptions,
  ): Promise<SendResult>;
  send<P>(
    queue: string,
    payload: P extends AnyJobDefinition ? never : P,
    options?: SendOptions,
  ): Promise<SendResult>;
  async send(queue: string, ...args: unknown[]): Promise<SendResult> {
    this.#assertOpen();
    return this.#producer.send(queue, args);
  }

  /**
   * Sends many jobs to one queue in one statement (all or nothing); results in input order. Given
   * a job definition first, every item is of that type.
   *
   * @throws ValidationError naming the first bad item (`items[3].payload`); nothing is written.
   */
  sendBatch<D extends AnyJobDefinition>(
    queue: string,
    definition: D,
    items: readonly JobSpec<InputOf<D>>[],
    options?: SendBatchOptions,
  ): Promise<SendResult[]>;
  sendBatch<P>(
    queue: string,
    items: readonly JobSpec<P>[],
    options?: SendBatchOptions,
  ): Promise<SendResult[]>;
  async sendBatch(queue: string, ...args: unknown[]): Promise<SendResult[]> {
    this.#assertOpen();
    return this.#producer.sendBatch(queue, args);
  }

  /**
   * Runs `work` in a transaction on one connection of the queue's pool: BEGIN, COMMIT once `work`
   * resolves, ROLLBACK when it rejects (the rejection passes on). Give the client to `send` and
   * `sendBatch` as `client`: the jobs exist, and wake workers, only if the transaction commits.
   * Not retried: a serialization failure or deadlock rejects like any other error.
   *
   * @example
   * ```ts
   * const orderId = await queue.withTransaction(async (client) => {
   *   const { rows } = await client.query('INSERT INTO orders (total) VALUES ($1) RETURNING id', [42]);
   *   await queue.send('emails', { to: 'ada@example.com', order: rows[0].id }, { client });
   *   return rows[0].id;
   * });
   * ```
   */
  async withTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    this.#assertOpen();
    return inTransaction(this.#ctx.pool, work);
  }

  /**
   * Sends a flow: jobs that depend on each other (a DAG: chains, fan-out, fan-in, across queues)
   * in one statement, all or nothing. A job runs once every parent has completed; what it does
   * when a parent fails is its `onParentFailure` (default `cancel`).
   *
   * @returns the flow's id and every job's id by its node's `ref`.
   * @throws ValidationError for a bad node, an unknown ref or parent, or a cycle (shown as a
   *   path); nothing is written.
   * @example
   * ```ts
   * const { ids } = await queue.flow([
   *   { ref: 'fetch', queue: 'crawl', payload: { url: 'https://example.com' } },
   *   { ref: 'thumb', queue: 'images', payload: {}, dependsOn: ['fetch'] },
   *   { ref: 'index', queue: 'search', payload: {}, dependsOn: ['fetch', 'thumb'] },
   * ]);
   * ```
   */
  async flow(nodes: readonly FlowNode[], options?: FlowOptions): Promise<FlowResult> {
    this.#assertOpen();
    return this.#producer.flow(nodes, options);
  }

  /**
   * Sends jobs and a callback job that runs once every one of them has settled (completed, dead
   * or cancelled): in its handler, `job.parentCounts()` says how many completed and failed.
   */
  async batch(
    jobs: readonly BatchJob[],
    callback: BatchJob,
    options?: FlowOptions,
  ): Promise<BatchResult> {
    this.#assertOpen();
    return this.#producer.batch(jobs, callback, options);
  }

  /**
   * Runs `handler` for every job of `queue` as it arrives (NOTIFY wakes it; a poll is the
   * fallback). Its return value is the job's result; a throw fails the attempt (retried after
   * backoff); a `NonRetryableError` sends the job to dead at once. Honour `job.signal`. Given job
   * definitions instead, each job goes to the definition of its name.
   *
   * @throws ConfigurationError for a bad queue name or bad options (synchronously).
   */
  work<P = unknown, R = unknown>(
    queue: string,
    handler: JobHandler<P, R>,
    options?: WorkOptions,
  ): Worker;
  work(queue: string, definitions: readonly AnyJobDefinition[], options?: WorkOptions): Worker;
  work(queue: string, handler: unknown, options?: WorkOptions): Worker {
    this.#assertOpen();
    return this.#consumers.work(queue, handler, options);
  }

  /**
   * Runs `handler` on batches of up to `batchSize` jobs (a batch leaves when full or `maxWaitMs`
   * after its first job); it returns one outcome per job, so one failing job fails no other.
   *
   * @throws ConfigurationError for a bad queue name or bad options (synchronously).
   */
  workBatch<P = unknown>(
    queue: string,
    handler: BatchHandler<P>,
    options?: BatchWorkOptions,
  ): Worker {
    this.#assertOpen();
    return this.#consumers.workBatch(queue, handler, options);
  }

  /**
   * The jobs of `queue` as a cold Observable: each subscriber gets its own consumer, holds at
   * most `prefetch` unsettled jobs and settles each with `ack`, `nack` or `release`;
   * unsubscribing releases the unsettled ones at once. Leases are renewed for you.
   *
   * @throws ConfigurationError for a bad queue name or bad options (synchronously).
   */
  observe<P = unknown>(queue: string, options?: ObserveOptions): Observable<ReceivedJob<P>> {
    this.#assertOpen();
    return this.#consumers.observe<P>(queue, options);
  }

  /**
   * Lifecycle events (enqueued, started, completed, failed, retried, dead, cancelled, released,
   * progress; tick and schedule for schedules; ready for flows) of one queue or all, from any process. Hot; statements emit events only while
   * someone subscribes.
   *
   * @throws ConfigurationError when the queue has no LISTEN connection.
   */
  events(queue?: string): Observable<JobEvent> {
    this.#assertOpen();
    return this.#consumers.events(queue);
  }

  /** Claims up to `batchSize` due jobs, leasing each to the caller for `leaseMs`. */
  async claim<P = unknown>(queue: string, options?: ClaimOptions): Promise<ClaimedJob<P>[]> {
    return this.#pull.claim<P>(queue, options);
  }

  /** Extends a job's lease; throws `LeaseLostError` (or `JobCancelledError`) if it is gone. */
  async heartbeat(job: LeasedJob, options?: { leaseMs?: number }): Promise<Date> {
    return this.#pull.heartbeat(job, options);
  }

  /** Extends many leases in one statement; reports per job instead of throwing. */
  async heartbeatMany(
    jobs: readonly LeasedJob[],
    options?: { leaseMs?: number },
  ): Promise<HeartbeatOutcome[]> {
    return this.#pull.heartbeatMany(jobs, options);
  }

  /** Completes a job and stores `result` (JSON; default null). Fenced by its lease token. */
  async complete(job: LeasedJob, result?: unknown): Promise<void> {
    return this.#pull.complete(job, result);
  }

  /** Completes many jobs in one statement; reports per job instead of throwing. */
  async completeMany(items: readonly Completion[]): Promise<SettleOutcome[]> {
    return this.#pull.completeMany(items);
  }

  /**
   * Records a failed attempt: retried after backoff, or dead when not retryable or out of
   * attempts. Returns where the job went.
   */
  async fail(
    job: FailingJob,
    error: unknown,
    options?: { retryable?: boolean },
  ): Promise<{ state: 'pending' | 'dead'; runAt: Date }> {
    return this.#pull.fail(job, error, options);
  }

  /** Records many failures in one statement; reports per job instead of throwing. */
  async failMany(items: readonly Failure[]): Promise<FailOutcome[]> {
    return this.#pull.failMany(items);
  }

  /** Gives a job back without spending an attempt, keeping its place in line or due later. */
  async release(job: LeasedJob, options?: { delayMs?: number }): Promise<void> {
    return this.#pull.release(job, options);
  }

  /** Releases many jobs in one statement; reports per job instead of throwing. */
  async releaseMany(items: readonly Release[]): Promise<SettleOutcome[]> {
    return this.#pull.releaseMany(items);
  }

  /**
   * Cancels a pending or running job (a running one's handler is aborted, and its later complete
   * or fail refused); a cancelled one is left as it is.
   *
   * @throws JobNotFoundError; InvalidStateError for a completed or dead job.
   */
  async cancel(id: string): Promise<CancelResult> {
    return this.#jobs.cancel(id);
  }

  /** The newest jobs of a queue (not the archive), optionally of some states and one tenant. */
  async listJobs<P = unknown, R = unknown>(
    queue: string,
    options?: ListJobsOptions,
  ): Promise<Job<P, R>[]> {
    return this.#jobs.listJobs<P, R>(queue, options);
  }

  /**
   * Why a job is not running now (or that nothing holds it back), from the database's state: not
   * due yet, queue paused, a queue or group cap full (with the jobs holding the slots), a rate
   * limit, its group's FIFO predecessor, leased by a worker, no live worker...
   *
   * @throws JobNotFoundError when no job has this id.
   */
  async explain(id: string): Promise<JobExplanation> {
    return explainJob(this.#ctx, id);
  }

  /** Reads a job, also from the archive; null when no job has this id. */
  async getJob<P = unknown, R = unknown>(id: string): Promise<Job<P, R> | null> {
    return this.#jobs.getJob<P, R>(id);
  }

  /** Brings a dead job back to pending with fresh attempts. */
  async retryDead(id: string): Promise<void> {
    return this.#jobs.retryDead(id);
  }

  /** Brings a queue's dead jobs (or the given ones) back to pending; returns their ids. */
  async redrive(queue: string, options?: { ids?: string[]; limit?: number }): Promise<string[]> {
    return this.#jobs.redrive(queue, options);
  }

  /** Counts per state and the oldest due job's wait, for one queue or every queue with jobs. */
  stats(): Promise<QueueStats[]>;
  stats(queue: string): Promise<QueueStats>;
  async stats(queue?: string): Promise<QueueStats | QueueStats[]> {
    return queue === undefined ? this.#jobs.stats() : this.#jobs.stats(queue);
  }

  /** A visibility-timeout sweeper to `start()`; `close()` stops it. */
  sweeper(options?: SweeperOptions): Sweeper {
    return this.#maintenance.sweeper(options);
  }

  /** A retention task to `start()` or `runOnce()`; `close()` stops it. */
  retention(options?: RetentionOptions): Retention {
    return this.#maintenance.retention(options);
  }

  /** One sweeper pass: requeues jobs whose lease expired (or kills those out of attempts). */
  async reclaimExpired(): Promise<ReclaimedJob[]> {
    return this.#maintenance.reclaimExpired();
  }

  /** One retention pass: deletes or archives finished jobs older than the cutoff. */
  async prune(options?: RetentionOptions): Promise<PruneResult> {
    return this.#maintenance.prune(options);
  }

  /**
   * Prometheus metrics of every queue in the schema and of this process's workers; `serve()`
   * them if you like. `close()` of the queue closes them and any server they started.
   */
  metrics(options?: MetricsOptions): QueueMetrics {
    return this.#maintenance.track(new QueueMetrics(this.#ctx, () => this.stats(), options));
  }

  /**
   * Closes the queue: refuses new work at once; stops its workers gracefully (running jobs get
   * each worker's `graceMs`, or `options.graceMs`, to finish; the rest go back to pending), its
   * `observe` and `events()` subscriptions at once (their unsettled jobs go back to pending); then
   * the LISTEN connection, its sweepers, retention tasks and metrics, and its own pool (a pool
   * passed in stays open), each step even when one before it failed. Memoised: a later call gets
   * the first call's promise, whatever its options. See also `closeOnSignals`.
   *
   * @throws ValidationError (rejects) for a bad `graceMs`.
   */
  close(options?: { graceMs?: number }): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    let graceMs: number | undefined;
    try {
      const opts = checkOptionsObject('options', options);
      checkKnownKeys('options', opts, ['graceMs']);
      graceMs =
        opts.graceMs === undefined
          ? undefined
          : checkInteger('graceMs', opts.graceMs, 0, MAX_DURATION_MS);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#closing = runEvery([
      () => this.#consumers.stop(graceMs),
      () => this.#consumers.closeListener(),
      () => this.#ctx.markClosed(),
      () => this.#maintenance.stop(),
      () => (this.options.connection.kind === 'url' ? this.#ctx.pool.end() : undefined),
    ]);
    return this.#closing;
  }

  /** `await using queue = new Queue(...)` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new QueueClosedError();
  }
}
