import { FINISHED_STATES, type Job, type JobState, type Queue } from '../index.js';

/** Options of {@link waitForJob} and {@link drain}. */
export interface WaitOptions {
  /** Give up after this many ms, rejecting with a {@link WaitTimeoutError}. Default 10,000. */
  timeoutMs?: number;
}

/** The default of {@link WaitOptions.timeoutMs}. */
export const DEFAULT_WAIT_MS = 10_000;

/**
 * A testing helper gave up: what it waited for did not happen within `timeoutMs` (or, for
 * {@link waitForJob}, cannot happen any more: the job finished in another state).
 */
export class WaitTimeoutError extends Error {
  /** A stable code to branch on, as pgpulse's own errors have. */
  readonly code = 'PGPULSE_WAIT_TIMEOUT' as const;
  /** The job as last seen, for {@link waitForJob}; null when no job had the id. */
  readonly job: Job | null;

  constructor(message: string, job: Job | null = null) {
    super(message);
    this.name = 'WaitTimeoutError';
    this.job = job;
  }
}

/**
 * Waits until job `id` is in `state`, or satisfies `predicate`, and returns it as then read. It
 * reads the job every few milliseconds (so it sees what any process did), and fails at once,
 * naming the job's last error, when the job finished in another state than the one awaited (a
 * job waited on to complete went to dead). A job not (yet) visible, e.g. sent in a transaction
 * that has not committed, is waited for.
 *
 * @throws WaitTimeoutError after `timeoutMs` (default 10,000), or when the state cannot come.
 * @example
 * ```ts
 * const { id } = await queue.send('emails', { to: 'ada@example.com' });
 * const job = await waitForJob(queue, id, 'completed');
 * expect(job.result).toEqual({ sent: true });
 * await waitForJob(queue, other, (job) => job.attempts === 2 && job.state === 'pending');
 * ```
 */
export async function waitForJob<P = unknown, R = unknown>(
  queue: Queue,
  id: string,
  until: JobState | ((job: Job<P, R>) => boolean),
  options: WaitOptions = {},
): Promise<Job<P, R>> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
  const deadline = performance.now() + timeoutMs;
  const wanted = typeof until === 'string' ? until : undefined;
  const holds = typeof until === 'string' ? (job: Job<P, R>) => job.state === until : until;
  let job: Job<P, R> | null = null;
  for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
    job = await queue.getJob<P, R>(id);
    if (job !== null && holds(job)) return job;
    if (job !== null && wanted !== undefined && isFinished(job.state)) {
      const why = job.lastError === null ? '' : `: ${job.lastError.message}`;
      throw new WaitTimeoutError(
        `Job ${id} ended ${job.state}, not ${wanted}, after ${job.attempts} attempt(s)${why}`,
        job as Job,
      );
    }
    if (performance.now() >= deadline) {
      const seen =
        job === null ? 'no job has this id' : `it is ${job.state} after ${job.attempts} attempt(s)`;
      throw new WaitTimeoutError(
        `Timed out after ${timeoutMs} ms waiting for job ${id} to be ${wanted ?? 'as asked'}: ${seen}`,
        job as Job | null,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

function isFinished(state: JobState): boolean {
  return (FINISHED_STATES as readonly JobState[]).includes(state);
}
