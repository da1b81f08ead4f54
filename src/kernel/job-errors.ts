import { ErrorCode, PgPulseError } from './errors.js';

/* What can happen to a job: the errors a job's holder, or a caller naming a job, meets. */

/** No job has the given id. */
export class JobNotFoundError extends PgPulseError {
  readonly jobId: string;

  constructor(jobId: string) {
    super(ErrorCode.jobNotFound, `Job ${jobId} does not exist`);
    this.jobId = jobId;
  }
}

/** The job's state does not allow the operation. */
export class InvalidStateError extends PgPulseError {
  readonly jobId: string;
  /** The job's state when the operation was refused. */
  readonly state: string;

  constructor(jobId: string, state: string, message: string) {
    super(ErrorCode.invalidState, message);
    this.jobId = jobId;
    this.state = state;
  }
}

/**
 * The caller's lease on the job is gone: it expired and the sweeper or another worker took the
 * job, or it was released. Whatever the caller does with the job now is refused (fencing).
 */
export class LeaseLostError extends PgPulseError {
  readonly jobId: string;
  /** The job's state when the call was refused. */
  readonly state: string;

  constructor(jobId: string, state: string, message?: string, options?: { cause?: unknown }) {
    super(
      ErrorCode.leaseLost,
      message ?? `Job ${jobId} is no longer leased with this token (its state is now ${state})`,
      options,
    );
    this.jobId = jobId;
    this.state = state;
  }
}

/** The job was cancelled while its holder ran it: cancel wins over a later complete or fail. */
export class JobCancelledError extends PgPulseError {
  readonly jobId: string;

  constructor(jobId: string) {
    super(ErrorCode.jobCancelled, `Job ${jobId} was cancelled`);
    this.jobId = jobId;
  }
}

/**
 * Throw from a handler (or pass to `fail`) to send the job to the dead state at once, without
 * spending its remaining attempts: for failures that retrying cannot fix, such as bad input.
 *
 * @example
 * ```ts
 * if (!user) throw new NonRetryableError(`user ${payload.userId} does not exist`);
 * ```
 */
export class NonRetryableError extends PgPulseError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.nonRetryable, message, options);
  }
}

/**
 * A send with `onDuplicate: 'reject'` found the idempotency key held by another job: nothing was
 * written (the whole batch, for `sendBatch`).
 *
 * @example
 * ```ts
 * async function place(order: { id: string }): Promise<string> {
 *   try {
 *     return (await queue.send('orders', order, { idempotencyKey: order.id, onDuplicate: 'reject' })).id;
 *   } catch (e) {
 *     if (e instanceof JobAlreadyExistsError) return e.existingJobId; // already placed
 *     throw e;
 *   }
 * }
 * ```
 */
export class JobAlreadyExistsError extends PgPulseError {
  /** The key that was held. */
  readonly idempotencyKey: string;
  /** The job holding it. */
  readonly existingJobId: string;

  constructor(idempotencyKey: string, existingJobId: string, options?: { cause?: unknown }) {
    super(
      ErrorCode.jobExists,
      `Job ${existingJobId} already holds idempotency key ${JSON.stringify(idempotencyKey)}`,
      options,
    );
    this.idempotencyKey = idempotencyKey;
    this.existingJobId = existingJobId;
  }
}

/** A handler ran past its job's `timeoutMs`: its signal aborts with this, and the attempt fails. */
export class JobTimeoutError extends PgPulseError {
  readonly jobId: string;
  readonly timeoutMs: number;

  constructor(jobId: string, timeoutMs: number) {
    super(ErrorCode.jobTimeout, `Job ${jobId} timed out after ${timeoutMs} ms`);
    this.jobId = jobId;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The worker stopped, and its grace period ran out, before the handler finished: the handler's
 * signal aborts with this and the job is released back to pending for another worker.
 */
export class WorkerStoppedError extends PgPulseError {
  constructor() {
    super(ErrorCode.workerStopped, 'The worker stopped before the job finished');
  }
}
