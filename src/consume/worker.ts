import type { Observable } from 'rxjs';
import type { Context } from '../db/context.js';
import type { Dispatcher } from '../execute/dispatch.js';
import { Executor } from '../execute/executor.js';
import { describeError } from '../kernel/error-record.js';
import { Sweeper } from '../maintain/sweeper.js';
import type { Listener } from '../wake/listener.js';
import { Consumer } from './consumer.js';
import type { ResolvedWork } from './options.js';
import type { WorkerEvent, WorkerEventOf, WorkerEventType } from './worker-events.js';

/**
 * A running consumer of one queue, from `queue.work()` or `queue.workBatch()`: it claims jobs as
 * they arrive, runs their handlers with at most `concurrency` at once, and settles them.
 *
 * @example
 * ```ts
 * const worker = queue.work('emails', async (job) => sendMail(job.payload, { signal: job.signal }));
 * process.once('SIGTERM', () => worker.stop({ graceMs: 10_000 }));
 * ```
 */
export class Worker implements AsyncDisposable {
  /** The queue this worker consumes. */
  readonly queue: string;
  readonly #consumer: Consumer;
  readonly #executor: Executor;
  readonly #sweeper: Sweeper | null;
  readonly #graceMs: number;
  readonly #onStopped: () => void;
  /** The schedules declared with the worker's definitions, being installed. */
  readonly #installing: Promise<void>;
  #stopping: Promise<void> | undefined;

  /** @internal Built by `Queue.work` and `Queue.workBatch`. */
  constructor(
    ctx: Context,
    listener: Listener | null,
    queue: string,
    options: ResolvedWork & { readonly capacity: number },
    dispatcher: Dispatcher,
    onStopped: () => void = () => undefined,
    installing: Promise<void> = Promise.resolve(),
  ) {
    this.#onStopped = onStopped;
    this.#installing = installing;
    installing.catch((error: unknown) => {
      ctx.options.logger.error(
        `pgpulse: the schedules declared for queue ${queue} could not be installed`,
        { scope: 'pgpulse.schedule', queue, error: describeError(error) },
      );
    });
    this.queue = queue;
    this.#graceMs = options.graceMs;
    this.#executor = new Executor(options.concurrency);
    this.#consumer = new Consumer(
      ctx,
      listener,
      {
        queue,
        claim: options.claim,
        capacity: options.capacity,
        heartbeatMs: options.heartbeatMs,
        pollIntervalMs: options.pollIntervalMs,
        claimAheadMs: options.claimAheadMs,
        leaseFromQueue: options.leaseFromQueue,
        heartbeatFromLease: options.heartbeatFromLease,
      },
      (port) => dispatcher(port, this.#executor),
    );
    this.#sweeper = options.sweeper === null ? null : new Sweeper(ctx, options.sweeper).start();
    this.#consumer.start();
  }

  /**
   * Resolves once the worker is consuming: its LISTEN is active (or it runs on polling alone)
   * and its start-up claims have returned, so any job sent from now on reaches it through a
   * notification, and the schedules declared with its job definitions are installed. Rejects
   * with the error when the worker cannot work at all: a permanent problem such as a missing
   * privilege or a schema that is not installed (`SchemaVersionError`), or a declared schedule
   * that could not be installed.
   */
  get ready(): Promise<void> {
    return Promise.all([this.#consumer.ready, this.#installing]).then(() => undefined);
  }

  /**
   * What happens in this worker, as it happens, told apart by `type` (see {@link WorkerEvent}):
   * its jobs' outcomes (`completed`, `failed` then `retried` or `dead`, `lease-lost`) and its
   * problems (`error`). An `error` with `fatal: false` is a transient problem it retries by
   * itself (the database unreachable for a moment); `fatal: true` is a permanent one (a missing
   * privilege, the schema not installed or too new): the worker stops claiming, finishes the jobs
   * it holds, and `failure` holds the error. Hot; completes when the worker stops. Errors, failed
   * attempts and lost leases are also logged through the queue's `logger`.
   *
   * Outcomes are built only while someone listens: a worker nobody subscribes to pays nothing
   * per completed job. {@link Worker.on} listens to one type only.
   *
   * @example
   * ```ts
   * worker.events.subscribe((event) => {
   *   if (event.type === 'failed') console.warn(event.job.id, event.error, event.willRetry);
   *   if (event.type === 'error' && event.fatal) process.exitCode = 1;
   * });
   * ```
   */
  get events(): Observable<WorkerEvent> {
    return this.#consumer.events;
  }

  /**
   * Calls `listener` with each event of `type` (see {@link Worker.events}); returns a function
   * that stops it. Listening to one type builds only that type's events.
   *
   * @example
   * ```ts
   * const off = worker.on('dead', ({ job, error }) => alert(`job ${job.id} is dead`, error));
   * off();
   * ```
   */
  on<T extends WorkerEventType>(type: T, listener: (event: WorkerEventOf<T>) => void): () => void {
    return this.#consumer.on(type, listener);
  }

  /** The permanent error that stopped this worker claiming, or undefined while it is healthy. */
  get failure(): unknown {
    return this.#consumer.failure;
  }

  /** Jobs this worker holds leases on right now: running, waiting, or being settled. */
  get held(): number {
    return this.#consumer.inFlight.size;
  }

  /** Handlers running right now. */
  get running(): number {
    return this.#executor.running;
  }

  /**
   * Claimed jobs waiting for a free handler slot: at most `prefetch`, so zero by default (the
   * worker claims only what can start), unless a handler ignored an abort and kept its slot.
   */
  get waiting(): number {
    return this.#executor.waiting;
  }

  /**
   * Stops the worker, in order: no more wakes or claims; running handlers get `graceMs` to
   * finish while their leases are still renewed; then their signals abort and their jobs go back
   * to pending at once for another worker; pending settlements are written. Memoised.
   */
  stop(options?: { graceMs?: number }): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#consumer.stop(options?.graceMs ?? this.#graceMs);
      await this.#sweeper?.stop();
      this.#onStopped();
    })();
    return this.#stopping;
  }

  /** `await using worker = queue.work(...)` stops it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}
