/** Every kind of lifecycle event. */
export const JOB_EVENT_TYPES = [
  'enqueued',
  'started',
  'completed',
  'failed',
  'retried',
  'dead',
  'cancelled',
  'released',
  'progress',
  'tick',
  'schedule',
  'ready',
] as const;

/** A kind of lifecycle event. */
export type JobEventType = (typeof JOB_EVENT_TYPES)[number];

/** What every lifecycle event says: which job, of which queue, and when. */
export interface JobEventBase<T extends JobEventType = JobEventType> {
  readonly type: T;
  /** The job's id. */
  readonly id: string;
  readonly queue: string;
  /** When it happened, on the database clock. */
  readonly at: Date;
  /** The flow of a job that has parents or children (`queue.flow()`), on any type of event. */
  readonly flowId?: string;
}

/** A job was sent (by pgpulse or a plain INSERT). */
export interface JobEnqueuedEvent extends JobEventBase<'enqueued'> {
  /** The job type within the queue. */
  readonly name: string;
  /** When it is due. */
  readonly runAt: Date;
  readonly priority: number;
  readonly tenant: string | null;
}

/** A worker claimed the job: an attempt started. */
export interface JobStartedEvent extends JobEventBase<'started'> {
  /** Which attempt, from 1. */
  readonly attempt: number;
  /** The worker that claimed it. */
  readonly workerId: string;
}

/** The job completed. */
export interface JobCompletedEvent extends JobEventBase<'completed'> {
  readonly attempt: number;
}

/** An attempt failed; a `retried` or `dead` event follows. */
export interface JobFailedEvent extends JobEventBase<'failed'> {
  readonly attempt: number;
  /** The error's message (at most 500 characters). */
  readonly error: string;
}

/** The job went back to pending after a failure, or an operator redrove it from dead. */
export interface JobRetriedEvent extends JobEventBase<'retried'> {
  /** The attempt that failed; 0 after a redrive (attempts start afresh). */
  readonly attempt: number;
  /** When it is due again. */
  readonly runAt: Date;
  /** True when an operator redrove a dead job (`retryDead`, `redrive`). */
  readonly redriven: boolean;
}

/** The job went to dead: not retryable, or out of attempts. */
export interface JobDeadEvent extends JobEventBase<'dead'> {
  readonly attempt: number;
}

/** The job was cancelled. */
export type JobCancelledEvent = JobEventBase<'cancelled'>;

/** The job was given back without spending an attempt (shutdown, snooze, `release`). */
export interface JobReleasedEvent extends JobEventBase<'released'> {
  /** When it is due again. */
  readonly runAt: Date;
}

/** The job's handler reported progress (`job.progress()`). */
export interface JobProgressEvent extends JobEventBase<'progress'> {
  readonly attempt: number;
  /** What the handler reported. */
  readonly progress: unknown;
}

/**
 * A schedule's tick got its job (`id`), or the schedule skipped the tick's job, which was
 * cancelled unstarted (`skipped`).
 */
export interface JobTickEvent extends JobEventBase<'tick'> {
  /** The schedule's name. */
  readonly schedule: string;
  /** The tick the job is for; null for a job run by hand (`schedules.trigger`). */
  readonly tickAt: Date | null;
  /** Why the schedule skipped the tick's job; absent when it runs. */
  readonly skipped?: 'overlap' | 'misfire';
}

/** What changed about a schedule. */
export type ScheduleChange = 'set' | 'paused' | 'resumed' | 'triggered' | 'removed';

/** A schedule changed; `id` and `schedule` are its name. */
export interface JobScheduleEvent extends JobEventBase<'schedule'> {
  /** The schedule's name. */
  readonly schedule: string;
  readonly change: ScheduleChange;
}

/** A waiting job's last parent settled (a flow's job): it is pending now. */
export interface JobReadyEvent extends JobEventBase<'ready'> {
  /** When it is due. */
  readonly runAt: Date;
}

/**
 * One lifecycle event of one job, from whichever process caused it, told apart by `type`.
 *
 * @example
 * ```ts
 * queue.events('emails').subscribe((event) => {
 *   if (event.type === 'failed') console.warn(event.id, event.attempt, event.error);
 *   if (event.type === 'enqueued') console.log(event.name, event.runAt);
 * });
 * ```
 */
export type JobEvent =
  | JobEnqueuedEvent
  | JobStartedEvent
  | JobCompletedEvent
  | JobFailedEvent
  | JobRetriedEvent
  | JobDeadEvent
  | JobCancelledEvent
  | JobReleasedEvent
  | JobProgressEvent
  | JobTickEvent
  | JobScheduleEvent
  | JobReadyEvent;

/** A lifecycle event as the database sent it, or null when it is not one. */
export function toJobEvent(raw: unknown): JobEvent | null {
  if (raw === null || typeof raw !== 'object') return null;
  const event = raw as Record<string, unknown>;
  const { type, id, queue } = event;
  if (
    typeof id !== 'string' ||
    typeof queue !== 'string' ||
    !(JOB_EVENT_TYPES as readonly unknown[]).includes(type)
  ) {
    return null;
  }
  const base = {
    id,
    queue,
    at: new Date(event.at as string),
    ...(typeof event.flowId === 'string' ? { flowId: event.flowId } : {}),
  };
  const attempt = Number(event.attempt ?? 0);
  const runAt = () => new Date(event.runAt as string);
  switch (type as JobEventType) {
    case 'enqueued':
      return {
        type: 'enqueued',
        ...base,
        name: String(event.name),
        runAt: runAt(),
        priority: Number(event.priority ?? 0),
        tenant: typeof event.tenant === 'string' ? event.tenant : null,
      };
    case 'started':
      return { type: 'started', ...base, attempt, workerId: String(event.workerId) };
    case 'completed':
      return { type: 'completed', ...base, attempt };
    case 'failed':
      return { type: 'failed', ...base, attempt, error: String(event.error ?? '') };
    case 'retried':
      return {
        type: 'retried',
        ...base,
        attempt,
        runAt: runAt(),
        redriven: event.redriven === true,
      };
    case 'dead':
      return { type: 'dead', ...base, attempt };
    case 'cancelled':
      return { type: 'cancelled', ...base };
    case 'released':
      return { type: 'released', ...base, runAt: runAt() };
    case 'progress':
      return { type: 'progress', ...base, attempt, progress: event.progress };
    case 'tick':
      return {
        type: 'tick',
        ...base,
        schedule: String(event.schedule),
        tickAt: typeof event.tickAt === 'string' ? new Date(event.tickAt) : null,
        ...(event.skipped === 'overlap' || event.skipped === 'misfire'
          ? { skipped: event.skipped }
          : {}),
      };
    case 'schedule':
      return {
        type: 'schedule',
        ...base,
        schedule: String(event.schedule),
        change: event.change as ScheduleChange,
      };
    case 'ready':
      return { type: 'ready', ...base, runAt: runAt() };
  }
}
