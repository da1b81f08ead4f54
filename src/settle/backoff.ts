import { type ResolvedBackoff, resolveBackoff } from '../config/backoff.js';
import type { BackoffPolicy } from '../kernel/types.js';

/**
 * The policy to apply to a failed job: its own when it has a valid one, otherwise the fallback.
 * A job row written by plain SQL may hold anything in `backoff`; that must not break a retry.
 */
export function effectiveBackoff(
  stored: BackoffPolicy | null,
  fallback: ResolvedBackoff,
): ResolvedBackoff {
  if (stored === null) return fallback;
  try {
    return resolveBackoff('backoff', stored);
  } catch {
    return fallback;
  }
}

/**
 * How long to wait before the next attempt after `attempt` attempts failed (1 = the first).
 *
 * @param random - a number in [0, 1), `Math.random` by default; pass a constant in tests.
 * @example
 * ```ts
 * backoffDelayMs({ type: 'exponential', baseMs: 1000, factor: 2, maxMs: 60_000, jitter: 0 }, 3) // 4000
 * ```
 */
export function backoffDelayMs(
  policy: ResolvedBackoff,
  attempt: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, attempt - 1);
  const ceiling =
    policy.type === 'fixed'
      ? policy.delayMs
      : Math.min(policy.maxMs, policy.baseMs * policy.factor ** exponent);
  return Math.round(ceiling * (1 - policy.jitter * random()));
}
