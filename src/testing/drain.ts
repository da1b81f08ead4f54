import type {
  AnyJobDefinition,
  JobHandler,
  Queue,
  Worker,
  WorkerCompletedEvent,
  WorkerEvent,
  WorkerFailedEvent,
  WorkOptions,
} from '../index.js';
import { DEFAULT_WAIT_MS, type WaitOptions, WaitTimeoutError } from './wait.js';

/** Options of {@link drain}. */
export interface DrainOptions extends WaitOptions {
  /**
   * Options of the worker that drains (`concurrency`, `leaseMs`, `timeoutMs` of handlers...).
   * Its sweeper is off unless `sweeper` is given.
   */
  worker?: WorkOptions;
}

/** What {@link drain} ran, in the order it happened. */
export interface DrainResult {
  /** Jobs that completed, each with its result. */
  readonly completed: readonly WorkerCompletedEvent[];
  /** Failed attempts, each with the error and whether the job will be retried (`willRetry`). */
  readonly failed: readonly WorkerFailedEvent[];
  /** Every event of the draining worker (`completed`, `failed`, `retried`, `dead`...). */
  readonly events: readonly WorkerEvent[];
}

/**
 * Runs a worker on `name` until the queue has no due pending job and no running one (its own or
 * any other process's), then stops it and says what ran. Jobs due later (delayed, or retried
 * after a backoff) are left pending: advance a {@link TestClock} and drain again. The handler (or
 * job definitions) is what `queue.work()` takes.
 *
 * @throws WaitTimeoutError after `timeoutMs` (default 10,000), the worker stopped.
 * @throws the worker's permanent error (e.g. `SchemaVersionError`) when it cannot work at all.
 * @example
 * ```ts
 * await signUp('ada@example.com'); // code under test, which sends a 'welcome' job
 * const { completed, failed } = await drain(queue, 'emails', [welcome]);
 * expect(completed.map((e) => e.job.payload)).toEqual([{ to: 'ada@example.com' }]);
 * expect(failed).toEqual([]);
 * ```
 */
export async function drain<P = unknown, R = unknown>(
  queue: Queue,
  name: string,
  handler: JobHandler<P, R> | readonly AnyJobDefinition[],
  options: DrainOptions = {},
): Promise<DrainResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
  const deadline = performance.now() + timeoutMs;
  const workOptions: WorkOptions = { sweeper: false, ...options.worker };
  const events: WorkerEvent[] = [];
  // A round ends once nothing is due and nothing runs; its worker is then stopped, which waits
  // for what the jobs still write (a schedule's tick inserts the jobs of its missed ticks while
  // its handler runs): whatever became due meanwhile is drained in another round.
  for (;;) {
    const worker = Array.isArray(handler)
      ? queue.work(name, handler as readonly AnyJobDefinition[], workOptions)
      : queue.work<P, R>(name, handler as JobHandler<P, R>, workOptions);
    await roundOf(queue, name, worker, events, deadline, timeoutMs);
    if ((await dueCount(queue, name)) === 0) break;
  }
  return {
    completed: events.filter((e): e is WorkerCompletedEvent => e.type === 'completed'),
    failed: events.filter((e): e is WorkerFailedEvent => e.type === 'failed'),
    events,
  };
}

/** Due pending jobs of the queue. */
async function dueCount(queue: Queue, name: string): Promise<number> {
  const stats = await queue.stats(name);
  return stats.counts.pending - stats.scheduled;
}

/**
 * Runs `worker` until the queue has no due pending job and no running one, then stops it,
 * recording its events.
 */
async function roundOf(
  queue: Queue,
  name: string,
  worker: Worker,
  events: WorkerEvent[],
  deadline: number,
  timeoutMs: number,
): Promise<void> {
  let fatal: { error: unknown } | undefined;
  let nudge: (() => void) | undefined;
  const subscription = worker.events.subscribe((event) => {
    events.push(event);
    if (event.type === 'error' && event.fatal) fatal = { error: event.error };
    nudge?.();
  });
  try {
    await worker.ready;
    for (;;) {
      if (fatal !== undefined) throw fatal.error;
      const stats = await queue.stats(name);
      const due = stats.counts.pending - stats.scheduled;
      if (due === 0 && stats.counts.running === 0 && worker.held === 0) return;
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new WaitTimeoutError(
          `Timed out after ${timeoutMs} ms draining queue ${name}: ${due} due pending and ` +
            `${stats.counts.running} running jobs left`,
        );
      }
      // Look again after the worker's next event, or a moment later (another process's doing).
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(25, left));
        nudge = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      nudge = undefined;
    }
  } finally {
    await worker.stop();
    subscription.unsubscribe();
  }
}
