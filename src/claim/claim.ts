import { MAX_DURATION_MS } from '../config/options.js';
import type { Context } from '../db/context.js';
import { type ClaimRow, toClaimedJob } from '../db/rows.js';
import type { ClaimedJob } from '../kernel/types.js';
import {
  checkIdentifier,
  checkInteger,
  checkKnownKeys,
  checkName,
  checkOptionsObject,
} from '../kernel/validate.js';

/** Options of {@link Queue.claim}. */
export interface ClaimOptions {
  /** Most jobs to claim at once. Default 1, at most 10,000. */
  batchSize?: number;
  /** Lease duration in ms; renew it with `heartbeat` before it runs out. Default: the queue's. */
  leaseMs?: number;
  /** Recorded on each claimed job. Default: the queue's `workerId`. */
  workerId?: string;
  /** Claim only this tenant's jobs. Default: any tenant's. */
  tenant?: string;
}

/** {@link ClaimOptions} after validation. */
export interface ResolvedClaimOptions {
  readonly batchSize: number;
  readonly leaseMs: number;
  readonly workerId: string;
  readonly tenant: string | null;
}

/** Validates claim options against the queue's defaults. Pure. */
export function resolveClaimOptions(
  input: unknown,
  defaults: { leaseMs: number; workerId: string },
): ResolvedClaimOptions {
  const options = checkOptionsObject('options', input);
  checkKnownKeys('options', options, ['batchSize', 'leaseMs', 'workerId', 'tenant']);
  return Object.freeze({
    batchSize: checkInteger('batchSize', options.batchSize ?? 1, 1, 10_000),
    leaseMs: checkInteger('leaseMs', options.leaseMs ?? defaults.leaseMs, 1, MAX_DURATION_MS),
    workerId: checkIdentifier('workerId', options.workerId ?? defaults.workerId, 128),
    tenant: options.tenant === undefined ? null : checkIdentifier('tenant', options.tenant, 256),
  });
}

/** What one claim statement returned. */
export interface ClaimResult<P> {
  jobs: ClaimedJob<P>[];
  /** The database's clock (epoch ms) when the claim looked for due jobs. */
  dbNowMs: number;
  /**
   * The latest due time (database clock, epoch ms) the claim looked at: `dbNowMs` plus the
   * look-ahead it was given, or `dbNowMs` where the queue takes due jobs only (fair, grouped).
   */
  lookedUntilMs: number;
  /** The queue's rate limit has no token left: the next one arrives in this many ms. */
  retryInMs: number | null;
  /** The queue's concurrency limit is reached: a settling job will announce a free slot. */
  capped: boolean;
  /**
   * For a fair queue: whether due jobs may be left although the claim came back short (it gave
   * each tenant only its share, or skipped jobs another consumer was claiming). Null otherwise.
   */
  more: boolean | null;
  /** For a fair queue: the tenant this claim ended with, where the next claim goes on. */
  cursor: string | null;
}

interface ClaimStatementRow extends ClaimRow {
  db_now_ms: string;
  looked_until_ms: string;
  retry_in_ms: string | null;
  capped: boolean;
  more: boolean | null;
  cursor: string | null;
  shaped: boolean;
}

/**
 * Which claim statement a queue's next claim takes, as its last claim found: a queue whose
 * settings do not shape claims (not paused, limited, fair or grouped) is claimed through the lean
 * claim_plain.sql. Both statements read the settings, so a change takes effect at the next claim
 * whichever runs: the lean one claims nothing from a shaped queue and says so, and the full one
 * runs at once.
 */
export interface ClaimRoute {
  shaped: boolean;
}

/**
 * Claims up to `batchSize` due jobs of a queue in one statement (`FOR UPDATE SKIP LOCKED`), as
 * the queue's settings allow (paused, limits, fairness), and reports when the claim looked: a job
 * due after that moment was not visible to it. `after` is the previous claim's fair cursor.
 * With `aheadMs`, jobs due within that many ms are claimed too (except by a fair or grouped
 * queue): the caller starts each when it is due (its `runAt`, relative to `dbNowMs`).
 */
export async function claimBatch<P>(
  ctx: Context,
  queue: string,
  options: ResolvedClaimOptions,
  after: string | null = null,
  aheadMs = 0,
  route: ClaimRoute = { shaped: false },
): Promise<ClaimResult<P>> {
  checkName('queue', queue);
  const { batchSize, leaseMs, workerId, tenant } = options;
  // Each statement returns one row even when it claims nothing: the clock, with null columns.
  let rows: ClaimStatementRow[] | undefined;
  if (tenant === null && !route.shaped) {
    rows = await ctx.run<ClaimStatementRow>('claim_plain', [
      queue,
      batchSize,
      leaseMs,
      workerId,
      aheadMs,
    ]);
    route.shaped = rows[0]?.shaped === true;
  }
  if (rows === undefined || route.shaped) {
    rows = await ctx.run<ClaimStatementRow>('claim_jobs', [
      queue,
      batchSize,
      leaseMs,
      workerId,
      after,
      tenant,
      aheadMs,
    ]);
    route.shaped = rows[0]?.shaped === true;
  }
  const first = rows[0];
  return {
    jobs: rows.filter((row) => row.id !== null).map((row) => toClaimedJob<P>(row)),
    dbNowMs: Number(first?.db_now_ms),
    lookedUntilMs: Number(first?.looked_until_ms),
    retryInMs: first?.retry_in_ms == null ? null : Number(first.retry_in_ms),
    capped: first?.capped === true,
    more: first?.more ?? null,
    cursor: first?.cursor ?? null,
  };
}

/** Claims up to `batchSize` due jobs of a queue in one statement (`FOR UPDATE SKIP LOCKED`). */
export async function claimJobs<P>(
  ctx: Context,
  queue: string,
  options: ResolvedClaimOptions,
): Promise<ClaimedJob<P>[]> {
  return (await claimBatch<P>(ctx, queue, options)).jobs;
}
