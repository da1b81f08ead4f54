import type { Context } from '../db/context.js';
import { jsonArrayParam } from '../db/json-param.js';
import type { PgPulseError } from '../kernel/errors.js';
import type { LeasedJob } from '../kernel/types.js';
import { inInputOrder, refusal } from './fencing.js';

/** The outcome of renewing one lease. */
export type HeartbeatOutcome =
  | { readonly id: string; readonly ok: true; readonly leaseExpiresAt: Date }
  | { readonly id: string; readonly ok: false; readonly error: PgPulseError };

interface HeartbeatRow {
  id: string;
  ok: boolean;
  lease_expires_at: Date | null;
  current_state: string | null;
}

/**
 * Renews many leases in one statement. A lease that could not be renewed comes back with the
 * reason (`LeaseLostError`, `JobCancelledError`, `JobNotFoundError`): its holder should stop
 * working on the job, because whatever it does next with it will be refused.
 */
export async function renewLeases(
  ctx: Context,
  jobs: readonly LeasedJob[],
  leaseMs: number,
): Promise<HeartbeatOutcome[]> {
  if (jobs.length === 0) return [];
  const param = jsonArrayParam(
    jobs.map((job) => ({ fields: { id: job.id, token: job.leaseToken } })),
  );
  const rows = await ctx.run<HeartbeatRow>('heartbeat_jobs', [param, leaseMs]);
  return inInputOrder(
    jobs.map((job) => job.id),
    rows,
  ).map((row) =>
    row.ok && row.lease_expires_at !== null
      ? { id: row.id, ok: true, leaseExpiresAt: row.lease_expires_at }
      : { id: row.id, ok: false, error: refusal(row.id, row.current_state) },
  );
}
