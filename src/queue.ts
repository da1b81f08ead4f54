import type { Observable } from 'rxjs';
import type { QueueOptions } from './config/options.js';
import { type ConfigSources, loadQueueOptions } from './config/sources.js';
import { observeQueue, type ReceivedJob } from './consume/observe.js';
import {
  type BatchWorkOptions,
  type ObserveOptions,
  type ResolvedWork,
  resolveBatchWorkOptions,
  resolveObserveOptions,
  resolveWorkOptions,
  type WorkOptions,
} from './consume/options.js';
import { Worker } from './consume/worker.js';
import { type BatchHandler, batchDispatcher } from './execute/batch.js';
import { type Dispatcher, jobDispatcher } from './execute/dispatch.js';
import type { JobHandler } from './execute/executor.js';
import { routeDefinitions } from './execute/router.js';
import { allSettledOrThrow, runEvery } from './kernel/cleanup.js';
import { ConfigurationError } from './kernel/errors.js';
import { checkName, invalid } from './kernel/validate.js';
import { Retention, type RetentionOptions } from './maintain/retention.js';
import { Sweeper, type SweeperOptions } from './maintain/sweeper.js';
import { type JobEvent, jobEvents } from './observe/events.js';
import type { AnyJobDefinition } from './produce/define-job.js';
import { QueueBase } from './queue-base.js';
import type { Listener } from './wake/listener.js';
import { listenerFor, noListenReason } from './wake/listener-for.js';

/** Anything started by the queue that `close()` must stop first. */
interface Stoppable {
  stop(): Promise<void>;
}

/**
 * A pgpulse queue on one PostgreSQL database: send jobs, consume them as a stream (`work`,
 * `observe`, `workBatch`) or claim and settle them yourself, inspect and maintain them. One
 * `Queue` serves every queue name in its schema.
 *
 * @example
 * ```ts
 * const queue = new Queue({ connectionString: process.env.DATABASE_URL });
 * await queue.migrate();
 * const worker = queue.work('emails', async (job) => sendMail(job.payload, { signal: job.signal }));
 * await queue.send('emails', { to: 'ada@example.com' });
 * // ...
 * await queue.close(); // stops the worker gracefully, then the connections
 * ```
 */
export class Queue extends QueueBase implements AsyncDisposable {
  readonly #consumers = new Set<Stoppable>();
  #listener: Listener | null | undefined;
  #closing: Promise<void> | undefined;

  /**
   * A queue configured from code, the environment and a YAML file, in that precedence (see
   * {@link loadQueueOptions}).
   *
   * @throws ConfigurationError naming the option, and the variable or file that set it.
   * @example
   * ```ts
   * // DATABASE_URL=postgres://... PGPULSE_LEASE_MS=60000 node app.js
   * const queue = Queue.fromConfig({ workerId: 'api-1' });
   * ```
   */
  static fromConfig(options?: QueueOptions, sources?: ConfigSources): Queue {
    return new Queue(loadQueueOptions(options, sources));
  }

  /**
   * Runs `handler` for every job of `queue` as it arrives: a job inserted anywhere wakes the
   * worker through NOTIFY within about a millisecond; a poll is the fallback. The handler's
   * return value is stored as the job's result; a throw fails the attempt (retried after
   * backoff); a `NonRetryableError` sends the job to dead at once. Honour `job.signal`.
   *
   * Given job definitions ({@link defineJob}) instead of a handler, each job goes to the
   * definition of its name; a job of an unknown name, or whose payload fails its schema, goes to
   * dead with a reason that says so.
   *
   * @throws ConfigurationError for bad options (synchronously).
   * @example
   * ```ts
   * queue.work('emails', [welcomeEmail, passwordReset], { concurrency: 20 });
   * const worker = queue.work<{ to: string }>('emails', async (job) => {
   *   await mailer.send(job.payload.to, { signal: job.signal });
   *   return { sentAt: new Date().toISOString() };
   * }, { concurrency: 20 });
   * await worker.stop({ graceMs: 5000 });
   * ```
   */
  work<P = unknown, R = unknown>(
    queue: string,
    handler: JobHandler<P, R>,
    options?: WorkOptions,
  ): Worker;
  work(queue: string, definitions: readonly AnyJobDefinition[], options?: WorkOptions): Worker;
  work(queue: string, handler: unknown, options?: WorkOptions): Worker {
    this.assertOpen();
    checkName('queue', queue, 'configuration');
    const resolved = resolveWorkOptions(options, this.options);
    const routes = Array.isArray(handler)
      ? routeDefinitions(queue, handler, resolved.timeoutMs)
      : { handler: handler as JobHandler, timeoutFor: () => resolved.timeoutMs };
    if (typeof routes.handler !== 'function') {
      throw invalid(
        'handler',
        'a function or an array of job definitions',
        handler,
        'configuration',
      );
    }
    return this.#startWorker(
      queue,
      { ...resolved, capacity: resolved.concurrency },
      jobDispatcher(routes.handler, routes.timeoutFor, this.ctx),
    );
  }

  /**
   * Runs `handler` on batches of up to `batchSize` jobs: a batch goes out when full or
   * `maxWaitMs` after its first job arrived. The handler returns one outcome per job, so one
   * failing job does not fail the others.
   *
   * @example
   * ```ts
   * queue.workBatch<{ row: Row }>('ingest', async (jobs) => {
   *   const results = await db.insertMany(jobs.map((job) => job.payload.row));
   *   return results.map((r) => (r.ok ? { ok: true } : { ok: false, error: r.error }));
   * }, { batchSize: 100, maxWaitMs: 20 });
   * ```
   */
  workBatch<P = unknown>(
    queue: string,
    handler: BatchHandler<P>,
    options?: BatchWorkOptions,
  ): Worker {
    this.assertOpen();
    checkName('queue', queue, 'configuration');
    if (typeof handler !== 'function')
      throw invalid('handler', 'a function', handler, 'configuration');
    const resolved = resolveBatchWorkOptions(options, this.options);
    return this.#startWorker(
      queue,
      { ...resolved, capacity: resolved.batchSize * resolved.concurrency },
      batchDispatcher(handler, resolved, this.ctx),
    );
  }

  /**
   * The jobs of `queue` as a cold Observable: each subscriber gets its own consumer, receives at
   * most `prefetch` jobs it has not yet settled, and settles each with `ack`, `nack` or
   * `release`. Unsubscribing releases the unsettled jobs at once. Leases are renewed for you.
   *
   * @throws ConfigurationError for bad options (synchronously).
   * @example
   * ```ts
   * queue.observe<Order>('orders', { prefetch: 8 })
   *   .pipe(mergeMap(async (job) => job.ack(await charge(job.payload)), 4))
   *   .subscribe();
   * ```
   */
  observe<P = unknown>(queue: string, options?: ObserveOptions): Observable<ReceivedJob<P>> {
    this.assertOpen();
    checkName('queue', queue, 'configuration');
    const resolved = resolveObserveOptions(options, this.options);
    return observeQueue<P>(this.ctx, this.#getListener(), queue, resolved, (consumer) =>
      this.#track(consumer),
    );
  }

  /**
   * Lifecycle events (enqueued, started, completed, failed, retried, dead, cancelled, released)
   * of one queue, or of every queue, caused by any process. Hot: only what happens while
   * subscribed. While anyone subscribes, every statement emits its events; otherwise none pays.
   *
   * @throws ConfigurationError when the queue has no LISTEN connection: `listen: false`, or
   *   `pooler: 'transaction'` without a `listenConnectionString`.
   * @example
   * ```ts
   * queue.events('emails').pipe(filter((e) => e.type === 'dead')).subscribe((e) => alert(e.id));
   * ```
   */
  events(queue?: string): Observable<JobEvent> {
    this.assertOpen();
    if (queue !== undefined) checkName('queue', queue, 'configuration');
    const listener = this.#getListener();
    if (listener === null) {
      throw new ConfigurationError(
        `events() needs LISTEN/NOTIFY, but ${noListenReason(this.options) ?? 'it is off'}`,
      );
    }
    return jobEvents(this.ctx, listener, queue ?? null, (subscription) =>
      this.#track(subscription),
    );
  }

  /** A visibility-timeout sweeper to `start()`; `close()` stops it. */
  sweeper(options?: SweeperOptions): Sweeper {
    return this.track(new Sweeper(this.ctx, options));
  }

  /** A retention task to `start()` or `runOnce()`; `close()` stops it. */
  retention(options?: RetentionOptions): Retention {
    return this.track(new Retention(this.ctx, options));
  }

  /**
   * Closes the queue: refuses new work at once, stops its workers and observers gracefully
   * (each with its own grace period), then its sweepers and retention tasks, the LISTEN
   * connection, and its own pool (a pool passed in stays open). Memoised.
   */
  close(): Promise<void> {
    this.closing = true;
    this.#closing ??= runEvery([
      () => allSettledOrThrow([...this.#consumers].map((consumer) => consumer.stop())),
      () => this.#listener?.close(),
      () => this.ctx.markClosed(),
      () => allSettledOrThrow([...this.tasks].map((task) => task.stop())),
      () => (this.ownsPool ? this.ctx.pool.end() : undefined),
    ]);
    return this.#closing;
  }

  /** `await using queue = new Queue(...)` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #startWorker(
    queue: string,
    options: ResolvedWork & { capacity: number },
    dispatcher: Dispatcher,
  ): Worker {
    const worker = new Worker(this.ctx, this.#getListener(), queue, options, dispatcher, () =>
      this.#consumers.delete(worker),
    );
    this.#consumers.add(worker);
    return worker;
  }

  /** Remembers a consumer or subscription for `close()`; returns its untracker. */
  #track(consumer: Stoppable): () => void {
    this.#consumers.add(consumer);
    return () => this.#consumers.delete(consumer);
  }

  /** The queue's one LISTEN connection, opened on first use; null with `listen: false`. */
  #getListener(): Listener | null {
    if (this.#listener === undefined) this.#listener = listenerFor(this.ctx);
    return this.#listener;
  }
}
