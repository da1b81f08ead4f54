import type { ResolvedClaimOptions } from '../claim/claim.js';
import { MAX_DURATION_MS, type ResolvedQueueOptions } from '../config/options.js';
import {
  checkIdentifier,
  checkInteger,
  checkKnownKeys,
  checkOptionsObject,
  invalid,
} from '../kernel/validate.js';
import type { SweeperOptions } from '../maintain/sweeper.js';

/** Options every consumer shares: `work`, `observe` and `workBatch`. */
export interface ConsumeOptions {
  /** Lease of each claimed job, in ms, renewed by heartbeats. Default: the queue's `leaseMs`. */
  leaseMs?: number;
  /** Interval of the heartbeat that renews every lease at once. Default `leaseMs / 3`. */
  heartbeatMs?: number;
  /**
   * Interval of the fallback poll, in ms. Notifications wake consumers at once; the poll only
   * bounds the delay when one is lost (or when LISTEN is unavailable). Default 1000.
   */
  pollIntervalMs?: number;
  /** Only this tenant's jobs. Default: every tenant's. */
  tenant?: string;
  /** Recorded on claimed jobs. Default: the queue's `workerId`. */
  workerId?: string;
  /**
   * Claim a delayed job (or a schedule's tick) up to this many ms before it is due and start it
   * on a local timer at its due time, so that the claim's round trip does not make it late. The
   * job is leased (and counts against `concurrency`) while it waits. A fair or grouped queue
   * claims due jobs only. 0 claims only what is due. Default 20, at most 1,000.
   */
  claimAheadMs?: number;
}

/** Options of `queue.work()`. */
export interface WorkOptions extends ConsumeOptions {
  /** Handlers running at once. Default 10. */
  concurrency?: number;
  /** Abort a handler running longer than this (its attempt fails and may be retried). */
  timeoutMs?: number;
  /** Most jobs one claim statement takes. Default: `concurrency` + `prefetch`, at most 100. */
  claimBatchSize?: number;
  /**
   * Jobs to hold claimed beyond those running, ready to start the moment a handler finishes:
   * for throughput with short handlers, where a claim round trip per `concurrency` jobs would
   * bound the rate. Buffered jobs are leased (their leases renewed by heartbeats like running
   * ones'), so no other worker can take them meanwhile; `stop()` gives the ones not started back
   * at once. Default 0: claim only what can start now.
   */
  prefetch?: number;
  /** Run a lease sweeper in this worker (`false` to run it elsewhere). Default true. */
  sweeper?: boolean | SweeperOptions;
  /** Default grace period of `stop()`, in ms. Default 10,000. */
  graceMs?: number;
}

/** Options of {@link Queue.workBatch}. */
export interface BatchWorkOptions extends Omit<WorkOptions, 'concurrency' | 'claimBatchSize'> {
  /** Most jobs per handler call. Default 10. */
  batchSize?: number;
  /** Longest wait for a batch to fill once its first job arrived, in ms. Default 50. */
  maxWaitMs?: number;
  /** Batches handled at once. Default 1. */
  concurrency?: number;
}

/** Options of {@link Queue.observe}. */
export interface ObserveOptions extends ConsumeOptions {
  /** Most jobs delivered and not yet acked or nacked (back-pressure). Default 10. */
  prefetch?: number;
}

/** What every consumer resolves to. */
export interface ResolvedConsume {
  readonly claim: ResolvedClaimOptions;
  readonly heartbeatMs: number;
  readonly pollIntervalMs: number;
  /** No `leaseMs` was given: the queue's stored lease, when it has one, applies. */
  readonly leaseFromQueue: boolean;
  /** No `heartbeatMs` was given: it follows the lease. */
  readonly heartbeatFromLease: boolean;
  readonly claimAheadMs: number;
}

const CONSUME_KEYS = [
  'leaseMs',
  'heartbeatMs',
  'pollIntervalMs',
  'tenant',
  'workerId',
  'claimAheadMs',
] as const;

function resolveConsume(
  opts: Record<string, unknown>,
  queue: ResolvedQueueOptions,
  claimBatchSize: number,
): ResolvedConsume {
  const kind = 'configuration';
  const leaseMs = checkInteger(
    'leaseMs',
    opts.leaseMs ?? queue.leaseMs,
    100,
    MAX_DURATION_MS,
    kind,
  );
  const heartbeatMs = checkInteger(
    'heartbeatMs',
    opts.heartbeatMs ?? Math.max(10, Math.floor(leaseMs / 3)),
    10,
    MAX_DURATION_MS,
    kind,
  );
  if (heartbeatMs * 2 > leaseMs) {
    throw invalid('heartbeatMs', `at most half of \`leaseMs\` (${leaseMs})`, heartbeatMs, kind);
  }
  return {
    claim: Object.freeze({
      batchSize: claimBatchSize,
      leaseMs,
      workerId: checkIdentifier('workerId', opts.workerId ?? queue.workerId, 128, kind),
      tenant: opts.tenant === undefined ? null : checkIdentifier('tenant', opts.tenant, 256, kind),
    }),
    heartbeatMs,
    leaseFromQueue: opts.leaseMs === undefined,
    heartbeatFromLease: opts.heartbeatMs === undefined,
    pollIntervalMs: checkInteger(
      'pollIntervalMs',
      opts.pollIntervalMs ?? 1000,
      10,
      86_400_000,
      kind,
    ),
    claimAheadMs: checkInteger('claimAheadMs', opts.claimAheadMs ?? 20, 0, 1000, kind),
  };
}

/** {@link WorkOptions} after validation. */
export interface ResolvedWork extends ResolvedConsume {
  readonly concurrency: number;
  /** Jobs held beyond `concurrency`, started as handlers free up (0 for batch workers). */
  readonly prefetch: number;
  readonly timeoutMs: number | null;
  readonly sweeper: SweeperOptions | null;
  readonly graceMs: number;
}

function resolveWorkParts(
  opts: Record<string, unknown>,
): Omit<ResolvedWork, keyof ResolvedConsume | 'concurrency' | 'prefetch'> {
  const kind = 'configuration';
  let sweeper: SweeperOptions | null;
  if (opts.sweeper === undefined || opts.sweeper === true) sweeper = {};
  else if (opts.sweeper === false) sweeper = null;
  else sweeper = checkOptionsObject('sweeper', opts.sweeper, kind) as SweeperOptions;
  return {
    timeoutMs:
      opts.timeoutMs === undefined
        ? null
        : checkInteger('timeoutMs', opts.timeoutMs, 1, MAX_DURATION_MS, kind),
    sweeper,
    graceMs: checkInteger('graceMs', opts.graceMs ?? 10_000, 0, MAX_DURATION_MS, kind),
  };
}

/** Validates {@link WorkOptions}. Pure. */
export function resolveWorkOptions(input: unknown, queue: ResolvedQueueOptions): ResolvedWork {
  const kind = 'configuration';
  const opts = checkOptionsObject('options', input, kind);
  checkKnownKeys(
    'options',
    opts,
    [
      ...CONSUME_KEYS,
      'concurrency',
      'prefetch',
      'timeoutMs',
      'claimBatchSize',
      'sweeper',
      'graceMs',
    ],
    kind,
  );
  const concurrency = checkInteger('concurrency', opts.concurrency ?? 10, 1, 10_000, kind);
  const prefetch = checkInteger('prefetch', opts.prefetch ?? 0, 0, 10_000, kind);
  const claimBatchSize = checkInteger(
    'claimBatchSize',
    opts.claimBatchSize ?? Math.min(concurrency + prefetch, 100),
    1,
    10_000,
    kind,
  );
  return Object.freeze({
    ...resolveConsume(opts, queue, claimBatchSize),
    ...resolveWorkParts(opts),
    concurrency,
    prefetch,
  });
}

/** {@link BatchWorkOptions} after validation. */
export interface ResolvedBatchWork extends ResolvedWork {
  readonly batchSize: number;
  readonly maxWaitMs: number;
}

/** Validates {@link BatchWorkOptions}. Pure. */
export function resolveBatchWorkOptions(
  input: unknown,
  queue: ResolvedQueueOptions,
): ResolvedBatchWork {
  const kind = 'configuration';
  const opts = checkOptionsObject('options', input, kind);
  checkKnownKeys(
    'options',
    opts,
    [...CONSUME_KEYS, 'batchSize', 'maxWaitMs', 'concurrency', 'timeoutMs', 'sweeper', 'graceMs'],
    kind,
  );
  const batchSize = checkInteger('batchSize', opts.batchSize ?? 10, 1, 10_000, kind);
  const concurrency = checkInteger('concurrency', opts.concurrency ?? 1, 1, 1000, kind);
  return Object.freeze({
    ...resolveConsume(opts, queue, Math.min(batchSize * concurrency, 1000)),
    ...resolveWorkParts(opts),
    concurrency,
    prefetch: 0,
    batchSize,
    maxWaitMs: checkInteger('maxWaitMs', opts.maxWaitMs ?? 50, 0, 3_600_000, kind),
  });
}

/** {@link ObserveOptions} after validation. */
export interface ResolvedObserve extends ResolvedConsume {
  readonly prefetch: number;
}

/** Validates {@link ObserveOptions}. Pure. */
export function resolveObserveOptions(
  input: unknown,
  queue: ResolvedQueueOptions,
): ResolvedObserve {
  const kind = 'configuration';
  const opts = checkOptionsObject('options', input, kind);
  checkKnownKeys('options', opts, [...CONSUME_KEYS, 'prefetch'], kind);
  const prefetch = checkInteger('prefetch', opts.prefetch ?? 10, 1, 10_000, kind);
  return Object.freeze({ ...resolveConsume(opts, queue, Math.min(prefetch, 100)), prefetch });
}
