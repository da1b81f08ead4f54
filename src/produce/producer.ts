import type { Context } from '../context.js';
import type { Queryable, SendResult } from '../types.js';
import { type ResolvedJobSpec, toSendJson } from './job-spec.js';

interface KeyedRow {
  id: string;
  idempotency_key: string;
}

/**
 * Inserts validated jobs into one queue in one statement and reports, per job in input order,
 * its id and whether it was a duplicate of an unfinished job with the same idempotency key.
 * Items of one batch sharing a key become one job: the first is sent, the rest are duplicates.
 */
export async function sendJobs(
  ctx: Context,
  queue: string,
  specs: readonly ResolvedJobSpec[],
  client?: Queryable,
): Promise<SendResult[]> {
  if (specs.length === 0) return [];
  const [only] = specs;
  if (specs.length === 1 && only !== undefined && only.idempotencyKey === null) {
    // One job, no key: a plain INSERT, the cheapest statement there is.
    await ctx.run('send_job', sendJobValues(queue, only), client);
    return [{ id: only.id, duplicate: false }];
  }
  const firstWithKey = new Map<string, ResolvedJobSpec>();
  const toInsert = specs.filter((spec) => {
    if (spec.idempotencyKey === null) return true;
    if (firstWithKey.has(spec.idempotencyKey)) return false;
    firstWithKey.set(spec.idempotencyKey, spec);
    return true;
  });
  const rows = await ctx.run<KeyedRow>('send_jobs', [toSendJson(toInsert), queue], client);
  const holders = new Map(rows.map((row) => [row.idempotency_key, row.id]));
  return specs.map((spec) => {
    if (spec.idempotencyKey === null) return { id: spec.id, duplicate: false };
    const holder = holders.get(spec.idempotencyKey);
    if (holder === undefined) {
      // send_jobs.sql returns a row for every keyed job; reaching this is a bug, not a race.
      throw new Error(`send_jobs returned no id for idempotency key ${spec.idempotencyKey}`);
    }
    const first = firstWithKey.get(spec.idempotencyKey) === spec;
    return { id: holder, duplicate: !first || holder !== spec.id };
  });
}

/** The parameters of send_job.sql. */
function sendJobValues(queue: string, spec: ResolvedJobSpec): unknown[] {
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
  ];
}
