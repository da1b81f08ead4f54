import { MAX_DURATION_MS } from '../config.js';
import type { Context } from '../context.js';
import { type ClaimRow, toClaimedJob } from '../db/rows.js';
import type { ClaimedJob } from '../types.js';
import {
  checkIdentifier,
  checkInteger,
  checkKnownKeys,
  checkName,
  checkOptionsObject,
} from '../validate.js';

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

/** Claims up to `batchSize` due jobs of a queue in one statement (`FOR UPDATE SKIP LOCKED`). */
export async function claimJobs<P>(
  ctx: Context,
  queue: string,
  options: ResolvedClaimOptions,
): Promise<ClaimedJob<P>[]> {
  checkName('queue', queue);
  const rows =
    options.tenant === null
      ? await ctx.run<ClaimRow>('claim_jobs', [
          queue,
          options.batchSize,
          options.leaseMs,
          options.workerId,
        ])
      : await ctx.run<ClaimRow>('claim_tenant_jobs', [
          queue,
          options.batchSize,
          options.leaseMs,
          options.workerId,
          options.tenant,
        ]);
  return rows.map((row) => toClaimedJob<P>(row));
}
