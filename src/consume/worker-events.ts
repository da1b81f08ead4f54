import type { PgPulseError } from '../kernel/errors.js';
import type { ClaimedJob } from '../kernel/types.js';

/**
 * Something a consumer (a worker, an `observe` subscription) ran into. `fatal: false`: a
 * transient problem (the database unreachable for a moment) that the consumer retries by itself.
 * `fatal: true`: a permanent one (a missing privilege, the schema not installed or too new) that
 * retrying cannot cure: the consumer stops claiming, finishes what it holds, and says so once.
 */
export interface ConsumerError {
  readonly type: 'error';
  readonly error: unknown;
  readonly fatal: boolean;
  /**
   * What the consumer was doing: `claim`, `heartbeat`, `listen`, `settings`, `next-due`, or
   * `schedule` (moving a claimed tick's schedule on) or `register` (its entry in the worker
   * registry).
   */
  readonly during:
    | 'claim'
    | 'heartbeat'
    | 'listen'
    | 'settings'
    | 'next-due'
    | 'schedule'
    | 'register';
}

/** A job of this worker completed: its handler returned `result`, and it was stored. */
export interface WorkerCompletedEvent {
  readonly type: 'completed';
  readonly job: ClaimedJob;
  readonly result: unknown;
  /** From the claim to the stored completion, in ms. */
  readonly durationMs: number;
}

/**
 * An attempt of a job of this worker failed (its handler threw, timed out, or returned a result
 * that cannot be stored), and the failure was stored. A `retried` or `dead` event follows.
 */
export interface WorkerFailedEvent {
  readonly type: 'failed';
  readonly job: ClaimedJob;
  /** What the handler threw (or the `JobTimeoutError`, or the `ValidationError` of its result). */
  readonly error: unknown;
  /** Which attempt failed, from 1. */
  readonly attempt: number;
  /** True when the job went back to pending, due at `runAt`; false when it went to dead. */
  readonly willRetry: boolean;
  /** When the retry is due; null when the job went to dead. */
  readonly runAt: Date | null;
  /** From the claim to the stored failure, in ms. */
  readonly durationMs: number;
}

/** A failed job of this worker went back to pending, due again at `runAt` (after a `failed`). */
export interface WorkerRetriedEvent {
  readonly type: 'retried';
  readonly job: ClaimedJob;
  readonly error: unknown;
  readonly attempt: number;
  readonly runAt: Date;
}

/**
 * A failed job of this worker went to dead (after a `failed`): its error was not retryable (a
 * `NonRetryableError`), or its attempts are used up.
 */
export interface WorkerDeadEvent {
  readonly type: 'dead';
  readonly job: ClaimedJob;
  readonly error: unknown;
  readonly attempt: number;
}

/**
 * This worker lost a job's lease: a heartbeat or the job's settlement found it taken over (it
 * expired and the sweeper or another worker took the job), or the database stayed unreachable
 * past it. The handler's signal aborted with `error` (a `LeaseLostError`); what it did is not
 * recorded, and the job may run again elsewhere.
 */
export interface WorkerLeaseLostEvent {
  readonly type: 'lease-lost';
  readonly job: ClaimedJob;
  readonly error: PgPulseError;
}

/** What a worker reports as it runs, told apart by `type`. */
export type WorkerEvent =
  | WorkerCompletedEvent
  | WorkerFailedEvent
  | WorkerRetriedEvent
  | WorkerDeadEvent
  | WorkerLeaseLostEvent
  | ConsumerError;

/** The kinds of {@link WorkerEvent}. */
export type WorkerEventType = WorkerEvent['type'];

/** The {@link WorkerEvent} of one type, e.g. `WorkerEventOf<'failed'>`. */
export type WorkerEventOf<T extends WorkerEventType> = Extract<WorkerEvent, { type: T }>;
