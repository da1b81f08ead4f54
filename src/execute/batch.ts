import type { Context } from '../db/context.js';
import { describeError } from '../kernel/error-record.js';
import type { Logger } from '../kernel/logger.js';
import type { LeasedEntry } from '../lease/in-flight.js';
import { traceBatch } from '../observe/tracing.js';
import type { HandlerOutcome, Settlement } from '../settle/outcome.js';
import { armTimeout, type Dispatcher, settleEntry } from './dispatch.js';
import { contextOf, type JobContext } from './job-context.js';

/** The outcome of one job of a batch, in the batch's order. */
export type BatchOutcome =
  | { readonly ok: true; readonly result?: unknown }
  | { readonly ok: false; readonly error: unknown; readonly retryable?: boolean };

/**
 * A batch handler: receives up to `batchSize` jobs and returns one outcome per job, in order, so
 * that one failing job does not fail the others. Returning nothing completes every job; throwing
 * fails every job of the batch.
 */
export type BatchHandler<P = unknown> = (
  jobs: JobContext<P>[],
) => Promise<readonly BatchOutcome[] | undefined> | readonly BatchOutcome[] | undefined;

/**
 * Collects leased jobs into batches: a batch goes to the handler when it is full or `maxWaitMs`
 * after its first job arrived, whichever comes first.
 */
export function batchDispatcher<P>(
  handler: BatchHandler<P>,
  options: { batchSize: number; maxWaitMs: number; timeoutMs: number | null },
  ctx: Context,
): Dispatcher {
  const { logger } = ctx.options;
  return (port, executor) => {
    let open: LeasedEntry<P>[] = [];
    let timer: NodeJS.Timeout | undefined;

    const run = (batch: LeasedEntry<P>[]) => {
      let timers: ReturnType<typeof setTimeout>[] = [];
      // Jobs given back while the batch waited for a slot (the worker stopping) are not run.
      let live: LeasedEntry<P>[] = [];
      void executor
        .run(() => {
          live = batch.filter((entry) => !entry.controller.signal.aborted);
          for (const entry of live) entry.started = true;
          // The timeout counts from the start of the handler, not from the claim.
          if (options.timeoutMs !== null) {
            const ms = options.timeoutMs;
            timers = live.map((entry) => armTimeout(port, entry, ms, logger));
          }
          if (live.length === 0) return undefined;
          const jobs = live.map((entry) => entry.job);
          return traceBatch(jobs[0]?.queue ?? '', jobs, async () =>
            handler(live.map((entry) => contextOf(ctx, entry))),
          );
        })
        .then(async (outcome) => {
          for (const t of timers) clearTimeout(t);
          const settlements = batchSettlements(live.length, outcome, logger);
          await Promise.all(
            live.map((entry, index) =>
              settleEntry(
                port,
                entry,
                entry.controller.signal.aborted
                  ? { action: 'none' }
                  : (settlements[index] as Settlement),
                logger,
              ),
            ),
          );
        });
    };

    const flush = () => {
      clearTimeout(timer);
      timer = undefined;
      const batch = open;
      open = [];
      if (batch.length > 0) run(batch);
    };

    return (entry) => {
      open.push(entry as LeasedEntry<P>);
      if (open.length >= options.batchSize) flush();
      else if (timer === undefined) timer = setTimeout(flush, options.maxWaitMs);
    };
  };
}

/**
 * One settlement per job from how a batch handler ended: a throw fails every job, nothing
 * returned completes every job, otherwise each job gets its own outcome. A malformed return
 * value fails the whole batch rather than guessing.
 */
export function batchSettlements(
  size: number,
  outcome: HandlerOutcome,
  logger: Logger,
): Settlement[] {
  if (outcome.kind === 'threw') {
    return Array.from({ length: size }, () => ({ action: 'fail', error: outcome.error }));
  }
  const value = outcome.value as readonly BatchOutcome[] | undefined;
  if (value === undefined || value === null) {
    return Array.from({ length: size }, () => ({ action: 'complete', result: null }));
  }
  if (!Array.isArray(value) || value.length !== size || !value.every(isOutcome)) {
    const error = new TypeError(
      `A batch handler must return one { ok, ... } outcome per job (${size} jobs)`,
    );
    logger.warn('pgpulse: a batch handler returned a malformed result', {
      scope: 'pgpulse.worker',
      error: describeError(error),
    });
    return Array.from({ length: size }, () => ({ action: 'fail', error }));
  }
  return value.map(
    (item: BatchOutcome): Settlement =>
      item.ok
        ? { action: 'complete', result: item.result ?? null }
        : {
            action: 'fail',
            error: item.error,
            ...(item.retryable === undefined ? {} : { retryable: item.retryable }),
          },
  );
}

function isOutcome(item: unknown): item is BatchOutcome {
  return (
    typeof item === 'object' && item !== null && typeof (item as { ok?: unknown }).ok === 'boolean'
  );
}
