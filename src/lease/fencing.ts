import type { PgPulseError } from '../kernel/errors.js';
import { JobCancelledError, JobNotFoundError, LeaseLostError } from '../kernel/job-errors.js';

/*
 * Fencing: every call for a claimed job (heartbeat, complete, fail, release, progress) presents
 * the lease token its claim gave, and the statement writes only where the token still matches.
 * A worker whose lease expired and was taken over can never overwrite the newer attempt. What a
 * refused call learns comes from here.
 */

/**
 * Why a lease-fenced call was refused, from the job's state just before it: gone, cancelled
 * (cancel wins), or leased to someone else / no longer running (lease lost).
 */
export function refusal(id: string, currentState: string | null): PgPulseError {
  if (currentState === null) return new JobNotFoundError(id);
  if (currentState === 'cancelled') return new JobCancelledError(id);
  return new LeaseLostError(id, currentState);
}

/**
 * Puts the rows of a batch statement back in the order of its input: SQL does not promise the
 * order of a join's output.
 */
export function inInputOrder<Row extends { id: string }>(
  ids: readonly string[],
  rows: readonly Row[],
): Row[] {
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => {
    const row = byId.get(id);
    if (row === undefined) throw new Error(`A batch statement returned no row for job ${id}`);
    return row;
  });
}
