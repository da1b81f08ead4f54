import { MAX_DURATION_MS } from '../config/options.js';
import type { FailingJob, LeasedJob } from '../kernel/types.js';
import {
  checkInteger,
  checkJobId,
  checkKnownKeys,
  checkOptionsObject,
  invalid,
} from '../kernel/validate.js';

/**
 * Checks a job handed back to a lease-fenced call: an object with a job id and a lease token
 * (and, for `fail`, its attempt count), as returned by a claim.
 */
export function checkLeasedJob<J extends LeasedJob>(
  field: string,
  value: unknown,
  failing: boolean,
): J {
  if (value === null || typeof value !== 'object') {
    throw invalid(field, 'a claimed job (with `id` and `leaseToken`)', value);
  }
  const job = value as Partial<FailingJob>;
  checkJobId(`${field}.id`, job.id);
  checkJobId(`${field}.leaseToken`, job.leaseToken);
  if (failing) checkInteger(`${field}.attempts`, job.attempts, 1, Number.MAX_SAFE_INTEGER);
  return value as J;
}

/** The `leaseMs` of a heartbeat, defaulting to the queue's. */
export function checkLeaseOption(options: unknown, fallback: number): number {
  const opts = checkOptionsObject('options', options);
  checkKnownKeys('options', opts, ['leaseMs']);
  return checkInteger('leaseMs', opts.leaseMs ?? fallback, 1, MAX_DURATION_MS);
}
