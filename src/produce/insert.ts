import type { Context } from '../db/context.js';
import type { SendResult, SqlExecutor } from '../kernel/types.js';
import { invalid } from '../kernel/validate.js';
import type { OnDuplicate, ResolvedJobSpec } from './job-spec.js';
import { toSendColumns } from './send-columns.js';

interface KeyedRow {
  id: string;
  idempotency_key: string;
  key_retained: boolean;
  replaced: boolean;
}

/** How a batch is sent. */
export interface SendContext {
  readonly client: SqlExecutor | undefined;
  readonly onDuplicate: OnDuplicate;
  /** W3C trace context of the producer's span, stored on each job; null when none. */
  readonly traceContext: string | null;
}

/**
 * Inserts validated jobs into one queue in one statement and reports, per job in input order,
 * its id and whether it was a duplicate of a job holding the same idempotency key. Items of one
 * batch sharing a key become one job: the first is sent, the rest are duplicates (or, in reject
 * mode, the batch is refused).
 *
 * @throws JobAlreadyExistsError in reject mode when a key is held; nothing is written.
 */
export async function sendJobs(
  ctx: Context,
  queue: string,
  specs: readonly ResolvedJobSpec[],
  how: SendContext,
): Promise<SendResult[]> {
  if (specs.length === 0) return [];
  const [only] = specs;
  if (specs.length === 1 && only !== undefined && only.idempotencyKey === null) {
    // One job, no key: a plain INSERT, the cheapest statement there is.
    await ctx.run('send_job', sendJobValues(ctx, queue, only, how.traceContext), how.client);
    return [{ id: only.id, duplicate: false, replaced: false }];
  }
  const keyOf = (spec: ResolvedJobSpec) => `${spec.keyRetained ? 'r' : 'u'}:${spec.idempotencyKey}`;
  const first = new Map<string, ResolvedJobSpec>();
  const toInsert = specs.filter((spec, index) => {
    if (spec.idempotencyKey === null) return true;
    const holder = first.get(keyOf(spec));
    if (holder === undefined) {
      first.set(keyOf(spec), spec);
      return true;
    }
    if (how.onDuplicate === 'reject') {
      throw invalid(
        `items[${index}].idempotencyKey`,
        'unique within the batch in reject mode',
        spec.idempotencyKey,
      );
    }
    return false;
  });
  const columns = toSendColumns(toInsert);
  const rows = await ctx.run<KeyedRow>(
    'send_jobs',
    [
      columns.ids,
      queue,
      ctx.options.maxAttempts,
      how.onDuplicate,
      columns.payloads,
      columns.options,
      how.traceContext,
    ],
    how.client,
  );
  // The statement also returns a row without a key (its counts) when no job had one.
  const holders = new Map(
    rows
      .filter((row) => row.id !== null)
      .map((row) => [`${row.key_retained ? 'r' : 'u'}:${row.idempotency_key}`, row]),
  );
  return specs.map((spec) => {
    if (spec.idempotencyKey === null) return { id: spec.id, duplicate: false, replaced: false };
    const holder = holders.get(keyOf(spec));
    if (holder === undefined) {
      // send_jobs.sql returns a row for every keyed job; reaching this is a bug, not a race.
      throw new Error(`send_jobs returned no id for idempotency key ${spec.idempotencyKey}`);
    }
    const duplicate = first.get(keyOf(spec)) !== spec || holder.id !== spec.id;
    return { id: holder.id, duplicate, replaced: duplicate && holder.replaced };
  });
}

/** The parameters of send_job.sql. */
export function sendJobValues(
  ctx: Context,
  queue: string,
  spec: ResolvedJobSpec,
  traceContext: string | null,
): unknown[] {
  return [
    spec.id,
    queue,
    spec.name,
    spec.payloadJson,
    spec.priority,
    spec.runAt,
    spec.delayMs,
    spec.maxAttempts,
    spec.backoff === null ? null : JSON.stringify(spec.backoff),
    spec.tenant,
    traceContext,
    ctx.options.maxAttempts,
  ];
}
