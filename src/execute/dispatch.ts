import type { Context } from '../db/context.js';
import { describeError } from '../kernel/error-record.js';
import { JobTimeoutError } from '../kernel/job-errors.js';
import type { Logger } from '../kernel/logger.js';
import type { ClaimedJob } from '../kernel/types.js';
import type { LeasedEntry } from '../lease/in-flight.js';
import { traceProcess } from '../observe/tracing.js';
import { decideSettlement, type Settlement } from '../settle/outcome.js';
import type { SettlePort } from '../settle/settlements.js';
import type { Executor, JobHandler } from './executor.js';
import { contextOf } from './job-context.js';

/**
 * Turns leased jobs into handler calls on the executor, each ending through the settle port.
 */
export type Dispatcher = (port: SettlePort, executor: Executor) => (entry: LeasedEntry) => void;

/**
 * Runs one handler call per job, in a CONSUMER span that continues the sender's trace, failing
 * a job that outlives its timeout (`timeoutFor` gives it per job; null for none).
 */
export function jobDispatcher<P, R>(
  handler: JobHandler<P, R>,
  timeoutFor: (job: ClaimedJob) => number | null,
  ctx: Context,
): Dispatcher {
  const { logger } = ctx.options;
  return (port, executor) => (entry) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    void executor
      .run(() => {
        // A job held ahead (prefetch) may have been given back while it waited for a slot.
        if (entry.controller.signal.aborted) return undefined;
        entry.started = true;
        // The timeout counts from the start of the handler, not from the claim.
        const timeoutMs = timeoutFor(entry.job);
        if (timeoutMs !== null) timer = armTimeout(port, entry, timeoutMs, logger);
        return traceProcess(entry.job, async () =>
          handler(contextOf(ctx, entry as LeasedEntry<P>)),
        );
      })
      .then((outcome) => {
        clearTimeout(timer);
        return settleEntry(port, entry, decideSettlement(entry.controller.signal, outcome), logger);
      });
  };
}

/** Aborts and fails the job when it runs past `timeoutMs`, without waiting for its handler. */
export function armTimeout(
  port: SettlePort,
  entry: LeasedEntry,
  timeoutMs: number,
  logger: Logger,
): ReturnType<typeof setTimeout> {
  return setTimeout(() => {
    const reason = new JobTimeoutError(entry.job.id, timeoutMs);
    port.abort(entry, reason);
    void settleEntry(port, entry, { action: 'fail', error: reason }, logger);
  }, timeoutMs);
}

/**
 * Writes a settlement. A snoozed job is released, due after its delay, however its handler
 * ended. A result that cannot be stored (not JSON) fails the job for good: the handler returned
 * something wrong and running it again would not help. A refusal (cancelled, lease lost) is
 * normal and leaves nothing to do.
 */
export async function settleEntry(
  port: SettlePort,
  entry: LeasedEntry,
  settlement: Settlement,
  logger: Logger,
): Promise<void> {
  try {
    if (settlement.action !== 'none' && entry.snoozeMs !== undefined) {
      await port.release(entry, entry.snoozeMs);
    } else if (settlement.action === 'complete') {
      await port.complete(entry, settlement.result, { invalidResult: 'fail' });
    } else if (settlement.action === 'fail') {
      await port.fail(entry, settlement.error, settlement.retryable);
    }
  } catch (error) {
    logger.warn(
      `pgpulse: could not record the outcome of job ${entry.job.id}; it will run again once its lease expires`,
      {
        scope: 'pgpulse.worker',
        queue: entry.job.queue,
        jobId: entry.job.id,
        error: describeError(error),
      },
    );
  }
}
