import { filter, type Observable, Subject } from 'rxjs';
import type { Context } from '../db/context.js';
import { describeError } from '../kernel/error-record.js';
import type { LogFields } from '../kernel/logger.js';
import { Throttle } from '../kernel/throttle.js';
import type { SettleReport, SettleWatch } from '../settle/settlements.js';
import type { WorkerEvent, WorkerEventOf, WorkerEventType } from './worker-events.js';

/** Log lines about jobs (failures, lost leases) per consumer: this many per 10 s, then a count. */
const JOB_LINES_PER_WINDOW = 10;
const JOB_LINES_WINDOW_MS = 10_000;

/**
 * Where a consumer's news goes: its event stream (`worker.events`, `worker.on()`), the queue's
 * metrics, and the logger (a worker's failed attempts and lost leases). A report of a kind that
 * nobody wants is never built: a completion costs nothing here unless someone subscribed to
 * completions or metrics are on.
 */
export class ConsumerReports implements SettleWatch {
  readonly #ctx: Context;
  readonly #queue: string;
  /** Whether outcomes of jobs are logged (a worker's handlers), or are the caller's (observe). */
  readonly #logOutcomes: boolean;
  readonly #all = new Subject<WorkerEvent>();
  readonly #typed = new Map<WorkerEventType, Subject<WorkerEvent>>();
  readonly #throttle = new Throttle(JOB_LINES_PER_WINDOW, JOB_LINES_WINDOW_MS);
  /** Every event, as it happens; completes when the consumer stops. */
  readonly events: Observable<WorkerEvent> = this.#all.asObservable();

  constructor(ctx: Context, queue: string, options: { logOutcomes: boolean }) {
    this.#ctx = ctx;
    this.#queue = queue;
    this.#logOutcomes = options.logOutcomes;
  }

  /** Calls `listener` with each event of `type`; returns what stops it. */
  on<T extends WorkerEventType>(type: T, listener: (event: WorkerEventOf<T>) => void): () => void {
    let typed = this.#typed.get(type);
    if (typed === undefined) {
      typed = new Subject<WorkerEvent>();
      if (this.#all.closed || this.#all.isStopped) typed.complete();
      this.#typed.set(type, typed);
    }
    const subscription = typed
      .pipe(filter((event): event is WorkerEventOf<T> => event.type === type))
      .subscribe(listener);
    return () => subscription.unsubscribe();
  }

  /** Tells the subscribers of `event.type`. */
  emit(event: WorkerEvent): void {
    this.#all.next(event);
    this.#typed.get(event.type)?.next(event);
  }

  /** Ends every stream: the consumer stopped. */
  complete(): void {
    this.#all.complete();
    for (const typed of this.#typed.values()) typed.complete();
  }

  wants(kind: SettleReport['kind']): boolean {
    switch (kind) {
      case 'completed':
        return this.#ctx.observers.size > 0 || this.#wanted('completed');
      case 'released':
        return this.#ctx.observers.size > 0;
      default:
        // Failures and lost leases are logged; neither is the hot path.
        return true;
    }
  }

  settled(report: SettleReport): void {
    if (report.kind === 'lease-lost') {
      if (this.#wanted('lease-lost')) {
        this.emit({ type: 'lease-lost', job: report.job, error: report.error });
      }
      this.#logLost(report);
      return;
    }
    if (this.#ctx.observers.size > 0) {
      const outcome =
        report.kind === 'failed' ? (report.state === 'dead' ? 'dead' : 'retried') : report.kind;
      const settled = { queue: this.#queue, outcome, durationMs: report.durationMs } as const;
      for (const observe of this.#ctx.observers) observe(settled);
    }
    if (report.kind === 'completed') {
      if (this.#wanted('completed')) {
        const { job, result, durationMs } = report;
        this.emit({ type: 'completed', job, result, durationMs });
      }
    } else if (report.kind === 'failed') {
      this.#failed(report);
    }
  }

  #failed(report: Extract<SettleReport, { kind: 'failed' }>): void {
    const { job, error, state, runAt, durationMs } = report;
    const attempt = job.attempts;
    const willRetry = state === 'pending';
    if (this.#wanted('failed')) {
      this.emit({
        type: 'failed',
        job,
        error,
        attempt,
        willRetry,
        runAt: willRetry ? runAt : null,
        durationMs,
      });
    }
    if (willRetry) {
      if (this.#wanted('retried')) this.emit({ type: 'retried', job, error, attempt, runAt });
    } else if (this.#wanted('dead')) {
      this.emit({ type: 'dead', job, error, attempt });
    }
    if (!this.#logOutcomes) return;
    const held = this.#throttle.take();
    if (held === null) return;
    const { message } = describeError(error);
    const where = `job ${job.id} (${job.name}) of queue ${job.queue} failed on attempt ${attempt} of ${job.maxAttempts}`;
    const fields: LogFields = {
      scope: 'pgpulse.worker',
      queue: job.queue,
      jobId: job.id,
      name: job.name,
      attempt,
      maxAttempts: job.maxAttempts,
      ...(willRetry ? { runAt: runAt.toISOString() } : {}),
      error: describeError(error),
      ...(held > 0 ? { suppressed: held } : {}),
    };
    if (willRetry) {
      this.#ctx.options.logger.info(
        `pgpulse: ${where}; retrying at ${runAt.toISOString()}: ${message}`,
        fields,
      );
    } else {
      this.#ctx.options.logger.warn(`pgpulse: ${where} and went to dead: ${message}`, fields);
    }
  }

  #logLost(report: Extract<SettleReport, { kind: 'lease-lost' }>): void {
    if (!this.#logOutcomes) return;
    const held = this.#throttle.take();
    if (held === null) return;
    const { job, error } = report;
    this.#ctx.options.logger.warn(
      `pgpulse: lost the lease of job ${job.id} of queue ${job.queue}: ${error.message}; ` +
        'its handler was aborted and the job may run again',
      {
        scope: 'pgpulse.worker',
        queue: job.queue,
        jobId: job.id,
        attempt: job.attempts,
        error: describeError(error),
        ...(held > 0 ? { suppressed: held } : {}),
      },
    );
  }

  #wanted(type: WorkerEventType): boolean {
    return this.#all.observed || this.#typed.get(type)?.observed === true;
  }
}
