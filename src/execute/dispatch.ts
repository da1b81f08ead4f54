import type { Logger } from '../config/options.js';
import type { Consumer } from '../consume/consumer.js';
import type { Context } from '../db/context.js';
import { describeError } from '../kernel/error-record.js';
import { ErrorCode, JobTimeoutError } from '../kernel/errors.js';
import type { ClaimedJob } from '../kernel/types.js';
import type { LeasedEntry } from '../lease/in-flight.js';
import { traceProcess } from '../observe/tracing.js';
import { decideSettlement, type Settlement } from '../settle/outcome.js';
import type { Executor, JobHandler } from './executor.js';
import { contextOf } from './job-context.js';

/** Turns leased jobs into handler calls on the executor. */
export type Dispatcher = (consumer: Consumer, executor: Executor) => (entry: LeasedEntry) => void;

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
  return (consumer, executor) => (entry) => {
    const timeoutMs = timeoutFor(entry.job);
    const timer = timeoutMs === null ? undefined : armTimeout(consumer, entry, timeoutMs, logger);
    void executor
      .run(() =>
        traceProcess(entry.job, async () => handler(contextOf(ctx, entry as LeasedEntry<P>))),
      )
      .then((outcome) => {
        clearTimeout(timer);
        return settleEntry(
          consumer,
          entry,
          decideSettlement(entry.controller.signal, outcome),
          logger,
        );
      });
  };
}

/** Aborts and fails the job when it runs past `timeoutMs`, without waiting for its handler. */
export function armTimeout(
  consumer: Consumer,
  entry: LeasedEntry,
  timeoutMs: number,
  logger: Logger,
): ReturnType<typeof setTimeout> {
  return setTimeout(() => {
    const reason = new JobTimeoutError(entry.job.id, timeoutMs);
    consumer.abort(entry, reason);
    void settleEntry(consumer, entry, { action: 'fail', error: reason }, logger);
  }, timeoutMs);
}

/**
 * Writes a settlement. A snoozed job is released, due after its delay, however its handler
 * ended. A result that cannot be stored (not JSON) fails the job for good: the handler returned
 * something wrong and running it again would not help. A refusal (cancelled, lease lost) is
 * normal and leaves nothing to do.
 */
export async function settleEntry(
  consumer: Consumer,
  entry: LeasedEntry,
  settlement: Settlement,
  logger: Logger,
): Promise<void> {
  try {
    if (settlement.action !== 'none' && entry.snoozeMs !== undefined) {
      await consumer.release(entry, entry.snoozeMs);
    } else if (settlement.action === 'complete') {
      const outcome = await consumer.complete(entry, settlement.result);
      if (!outcome.ok && outcome.error.code === ErrorCode.validation) {
        await consumer.fail(entry, outcome.error, false);
      }
    } else if (settlement.action === 'fail') {
      await consumer.fail(entry, settlement.error, settlement.retryable);
    }
  } catch (error) {
    logger.warn(
      `pgpulse: could not record the outcome of job ${entry.job.id}; it will run again once its lease expires`,
      describeError(error),
    );
  }
}
