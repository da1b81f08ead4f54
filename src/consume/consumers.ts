import type { Observable } from 'rxjs';
import type { Context } from '../db/context.js';
import { type BatchHandler, batchDispatcher } from '../execute/batch.js';
import { type Dispatcher, jobDispatcher } from '../execute/dispatch.js';
import type { JobHandler } from '../execute/executor.js';
import { allSettledOrThrow } from '../kernel/cleanup.js';
import { ConfigurationError } from '../kernel/errors.js';
import { checkName, invalid } from '../kernel/validate.js';
import type { Stoppable } from '../maintain/maintenance.js';
import { jobEvents } from '../observe/events.js';
import type { JobEvent } from '../observe/job-events.js';
import type { AnyJobDefinition } from '../produce/define-job.js';
import { installDeclared, scheduledDefinitions } from '../schedule/declared.js';
import { Schedules } from '../schedule/schedules.js';
import type { Listener } from '../wake/listener.js';
import { listenerFor, noListenReason } from '../wake/listener-for.js';
import { observeQueue, type ReceivedJob } from './observe.js';
import {
  type BatchWorkOptions,
  type ObserveOptions,
  type ResolvedWork,
  resolveBatchWorkOptions,
  resolveObserveOptions,
  resolveWorkOptions,
  type WorkOptions,
} from './options.js';
import { routeDefinitions } from './router.js';
import { Worker } from './worker.js';

/**
 * Everything of a queue that consumes: workers, `observe` subscriptions and `events()`
 * subscriptions, sharing the queue's one LISTEN connection (opened on first use), and stopped
 * together when the queue closes.
 */
export class Consumers {
  readonly #ctx: Context;
  readonly #running = new Set<Stoppable>();
  #listener: Listener | null | undefined;

  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  /** A worker running `handler` (or routing to `definitions`) for every job of `queue`. */
  work(queue: string, handler: unknown, options: WorkOptions | undefined): Worker {
    checkName('queue', queue, 'configuration');
    const resolved = resolveWorkOptions(options, this.#ctx.options);
    const routes = Array.isArray(handler)
      ? routeDefinitions(queue, handler as AnyJobDefinition[], resolved.timeoutMs)
      : { handler: handler as JobHandler, timeoutFor: () => resolved.timeoutMs };
    if (typeof routes.handler !== 'function') {
      throw invalid(
        'handler',
        'a function or an array of job definitions',
        handler,
        'configuration',
      );
    }
    // Schedules declared with the definitions are installed as the worker starts; the worker's
    // `ready` waits for them, and a failure to install them fails it.
    const declared = Array.isArray(handler) ? scheduledDefinitions(handler) : [];
    const installing =
      declared.length === 0
        ? undefined
        : installDeclared(new Schedules(this.#ctx), queue, declared).then(() => undefined);
    return this.#startWorker(
      queue,
      { ...resolved, capacity: resolved.concurrency + resolved.prefetch },
      jobDispatcher(routes.handler, routes.timeoutFor, this.#ctx),
      installing,
    );
  }

  /** A worker running `handler` on batches of the jobs of `queue`. */
  workBatch<P>(queue: string, handler: BatchHandler<P>, options?: BatchWorkOptions): Worker {
    checkName('queue', queue, 'configuration');
    if (typeof handler !== 'function') {
      throw invalid('handler', 'a function', handler, 'configuration');
    }
    const resolved = resolveBatchWorkOptions(options, this.#ctx.options);
    return this.#startWorker(
      queue,
      { ...resolved, capacity: resolved.batchSize * resolved.concurrency },
      batchDispatcher(handler, resolved, this.#ctx),
    );
  }

  /** The jobs of `queue` as a cold Observable, each subscription a consumer of its own. */
  observe<P>(queue: string, options?: ObserveOptions): Observable<ReceivedJob<P>> {
    checkName('queue', queue, 'configuration');
    const resolved = resolveObserveOptions(options, this.#ctx.options);
    return observeQueue<P>(this.#ctx, this.#getListener(), queue, resolved, (consumer) =>
      this.#track(consumer),
    );
  }

  /** Lifecycle events of `queue`, or of every queue, from any process. */
  events(queue?: string): Observable<JobEvent> {
    if (queue !== undefined) checkName('queue', queue, 'configuration');
    const listener = this.#getListener();
    if (listener === null) {
      throw new ConfigurationError(
        `events() needs LISTEN/NOTIFY, but ${noListenReason(this.#ctx.options) ?? 'it is off'}`,
      );
    }
    return jobEvents(this.#ctx, listener, queue ?? null, (subscription) =>
      this.#track(subscription),
    );
  }

  /**
   * Stops every worker gracefully (each with its own grace period, or `graceMs` when given), and
   * every `observe` and `events()` subscription at once.
   */
  stop(graceMs?: number): Promise<void> {
    const options = graceMs === undefined ? undefined : { graceMs };
    return allSettledOrThrow([...this.#running].map((consumer) => consumer.stop(options)));
  }

  /** Ends the LISTEN connection, once every consumer has stopped. */
  async closeListener(): Promise<void> {
    await this.#listener?.close();
  }

  #startWorker(
    queue: string,
    options: ResolvedWork & { capacity: number },
    dispatcher: Dispatcher,
    installing?: Promise<void>,
  ): Worker {
    const worker = new Worker(
      this.#ctx,
      this.#getListener(),
      queue,
      options,
      dispatcher,
      () => this.#running.delete(worker),
      installing,
    );
    this.#running.add(worker);
    return worker;
  }

  /** Remembers a consumer or subscription for `stop()`; returns its untracker. */
  #track(consumer: Stoppable): () => void {
    this.#running.add(consumer);
    return () => this.#running.delete(consumer);
  }

  /** The queue's one LISTEN connection, opened on first use; null when it has none. */
  #getListener(): Listener | null {
    if (this.#listener === undefined) this.#listener = listenerFor(this.#ctx);
    return this.#listener;
  }
}
