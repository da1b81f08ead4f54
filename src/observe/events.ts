import { randomUUID } from 'node:crypto';
import { Observable, type Subscription } from 'rxjs';
import type { Context } from '../db/context.js';
import { isTransient, retryTransient } from '../db/failure.js';
import { describeError } from '../kernel/error-record.js';
import { ConfigurationError } from '../kernel/errors.js';
import { IntervalTask } from '../kernel/interval-task.js';
import { channelsFor } from '../notify/channels.js';
import type { Listener } from '../wake/listener.js';

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

/**
 * One lifecycle event of one job, from whichever process caused it. A `tick` event says a
 * schedule's tick got its job (`id`; `tickAt` null for a job run by hand), or that the schedule
 * skipped the tick's job (`skipped`: `overlap` or `misfire`); a `schedule` event says a schedule
 * changed (`change`), with the schedule's name as `id`.
 */
export interface JobEvent {
  type: JobEventType;
  id: string;
  queue: string;
  /** When it happened, on the database clock. */
  at: Date;
  /** started, completed, failed, retried, dead: which attempt. */
  attempt?: number;
  /** started: the worker that claimed it. */
  workerId?: string;
  /** failed: the error message (truncated). */
  error?: string;
  /** enqueued, retried, released: when it is due. */
  runAt?: Date;
  /** enqueued: job type, priority and tenant. */
  name?: string;
  priority?: number;
  tenant?: string | null;
  /** progress: what the handler reported. */
  progress?: unknown;
  /** retried: true when an operator redrove a dead job. */
  redriven?: boolean;
  /** tick, schedule: the schedule's name. */
  schedule?: string;
  /** tick: the tick the job is for (null for a job run by hand). */
  tickAt?: Date | null;
  /** tick: why the schedule skipped the tick's job, which was cancelled unstarted. */
  skipped?: 'overlap' | 'misfire';
  /** schedule: what changed. */
  change?: 'set' | 'paused' | 'resumed' | 'triggered' | 'removed';
  /**
   * The flow of a job that has parents or children (any type of event); `ready` says a waiting
   * job's last parent settled and it is now pending.
   */
  flowId?: string;
}

/** How long a watcher registration lasts without renewal; renewed every third of it. */
const WATCH_TTL_MS = 30_000;

/** The first registration, whose connection dropped, is tried again this often, then fails. */
const REGISTER_RETRIES = { attempts: 8, baseDelayMs: 100 };

/**
 * Lifecycle events of one queue, or of all, as a hot Observable. While subscribed, this process
 * registers as a watcher in the database, which makes every pgpulse statement (in any process)
 * emit its events; with no watcher, no statement pays for them.
 */
export function jobEvents(
  ctx: Context,
  listener: Listener,
  queue: string | null,
  track: (subscription: { stop(): Promise<void> }) => () => void,
): Observable<JobEvent> {
  return new Observable<JobEvent>((subscriber) => {
    const channel = channelsFor(ctx.options.schema).events;
    const watcherId = randomUUID();
    let payloads: Subscription | undefined;
    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        untrack();
        payloads?.unsubscribe();
        await renewal.stop();
        await ctx.run('unwatch_events', [watcherId]).catch((error: unknown) => {
          ctx.options.logger.warn(
            'pgpulse: could not unregister an event watcher',
            describeError(error),
          );
        });
      })();
      return closing;
    };
    /** A permanent failure (no privilege, no schema, no LISTEN): the subscriber hears it. */
    const fail = (error: unknown) => {
      if (closing !== undefined) return;
      void close();
      subscriber.error(error);
    };
    const renewal = new IntervalTask(
      'event watcher',
      async () => {
        try {
          await ctx.run('watch_events', [watcherId, WATCH_TTL_MS]);
        } catch (error) {
          if (!isTransient(error)) fail(error);
          throw error; // transient: logged, and the next renewal tries again
        }
      },
      WATCH_TTL_MS / 3,
      ctx.options.logger,
    );
    const untrack = track({
      stop: async () => {
        subscriber.complete();
        await close();
      },
    });
    payloads = listener.channel<unknown>(channel).subscribe({
      next: (chunk) => {
        if (!Array.isArray(chunk)) return;
        for (const raw of chunk) {
          const event = toEvent(raw);
          if (event !== null && (queue === null || event.queue === queue)) subscriber.next(event);
        }
      },
      error: fail,
    });
    // Register only once LISTEN is active, so that no event emitted for us is missed. Events
    // travel only by NOTIFY: where notifications cannot arrive (a transaction-mode pooler), say
    // so instead of emitting nothing forever.
    void listener
      .whenReady(channel)
      .then((state) => {
        if (state === 'unavailable') {
          throw new ConfigurationError(
            'events() needs LISTEN/NOTIFY, which does not work on this connection: give the ' +
              'queue a direct connection for listening (listenConnectionString)',
          );
        }
        if (closing !== undefined) return;
        return retryTransient(() => renewal.runOnce(), REGISTER_RETRIES).then(() => {
          if (closing === undefined) renewal.start();
        });
      })
      .catch(fail);
    return () => void close();
  });
}

function toEvent(raw: unknown): JobEvent | null {
  if (raw === null || typeof raw !== 'object') return null;
  const event = raw as Record<string, unknown>;
  if (
    typeof event.id !== 'string' ||
    typeof event.queue !== 'string' ||
    !(JOB_EVENT_TYPES as readonly unknown[]).includes(event.type)
  ) {
    return null;
  }
  return {
    ...(event as unknown as JobEvent),
    at: new Date(event.at as string),
    ...(typeof event.runAt === 'string' ? { runAt: new Date(event.runAt) } : {}),
    ...(typeof event.tickAt === 'string' ? { tickAt: new Date(event.tickAt) } : {}),
  };
}
