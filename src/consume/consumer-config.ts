import type { ResolvedClaimOptions } from '../claim/claim.js';
import type { Context } from '../db/context.js';
import { isTransient } from '../db/failure.js';
import { describeError } from '../kernel/error-record.js';

/** How a consumer claims and keeps jobs. */
export interface ConsumerConfig {
  readonly queue: string;
  /** `batchSize` is the most jobs one claim statement takes. */
  readonly claim: ResolvedClaimOptions;
  /** The most jobs held at once, not counting those already being settled. */
  readonly capacity: number;
  readonly heartbeatMs: number;
  readonly pollIntervalMs: number;
  /** Claim jobs due within this many ms, and start each when it is due. Default 0. */
  readonly claimAheadMs?: number;
  /**
   * The lease was not given by the caller: the queue's stored `leaseMs` wins over it (and sets
   * the heartbeat too, unless `heartbeatMs` was given).
   */
  readonly leaseFromQueue?: boolean;
  readonly heartbeatFromLease?: boolean;
  /**
   * `worker` (default): handlers decide how jobs end, and failed attempts are logged.
   * `observer`: the subscriber settles each job itself, and nothing is logged about it.
   */
  readonly role?: 'worker' | 'observer';
}

/**
 * The config with the queue's stored `leaseMs` applied, when the caller gave no lease (the
 * heartbeat follows it unless the caller set one). If the settings cannot be read for a moment
 * (the database restarting), the config is kept as it is, with a warning; a permanent failure
 * (no privilege, no schema) rejects.
 */
export async function withStoredSettings(
  ctx: Context,
  config: ConsumerConfig,
): Promise<ConsumerConfig> {
  if (config.leaseFromQueue !== true) return config;
  try {
    const [row] = await ctx.run<{ lease_ms: number | null }>('queue_settings', [config.queue]);
    const leaseMs = row?.lease_ms;
    if (leaseMs == null) return config;
    const heartbeatMs =
      config.heartbeatFromLease === true
        ? Math.max(10, Math.floor(leaseMs / 3))
        : Math.min(config.heartbeatMs, Math.floor(leaseMs / 2));
    return { ...config, claim: { ...config.claim, leaseMs }, heartbeatMs };
  } catch (error) {
    // No privilege, no schema: the consumer cannot work at all, and must say so.
    if (!isTransient(error)) throw error;
    ctx.options.logger.warn(
      `pgpulse: could not read the settings of queue ${config.queue}; using the defaults`,
      { scope: 'pgpulse.consumer', queue: config.queue, error: describeError(error) },
    );
    return config;
  }
}
