import {
  asyncScheduler,
  defer,
  filter,
  map,
  merge,
  type Observable,
  of,
  type SchedulerLike,
  share,
  switchMap,
  timer,
} from 'rxjs';

/** Why a consumer should try to claim now. */
export type WakeReason = 'start' | 'notify' | 'poll' | 'reconnect' | 'due' | 'capacity';

/** A notification about the consumer's queue, with its due time on the local clock. */
export interface Notice {
  /** When the earliest announced job is due, in `scheduler.now()` ms; null for "now". */
  readonly dueAt: number | null;
}

/** Everything that can wake a consumer. */
export interface WakeSources {
  /** Notifications for this queue (NOTIFY is a hint: never the only source). */
  readonly notices: Observable<Notice>;
  /** Emits after every (re)connect of the LISTEN connection: what was missed must be caught up. */
  readonly reconnects: Observable<unknown>;
  /** Emits when a job finishes and the executor can take more. */
  readonly capacity: Observable<unknown>;
  /** Due times (`scheduler.now()` ms) of delayed or retried jobs learned from the database. */
  readonly dueTimes: Observable<number>;
}

/** Options of {@link wakeups}. */
export interface WakeOptions {
  /** The fallback poll: correctness never depends on NOTIFY. */
  readonly pollIntervalMs: number;
  /** Virtual time in tests (TestScheduler); `asyncScheduler` by default. */
  readonly scheduler?: SchedulerLike;
}

/**
 * The wake stream of one consumer: a wake at start, every notification of a due job, a poll
 * timer, a catch-up after every reconnect, "capacity freed" events, and a timer armed for the
 * earliest known delayed job, which therefore starts when it is due rather than at the next poll.
 * Wakes are hints to claim; the claimer coalesces them.
 *
 * @example
 * ```ts
 * wakeups({ notices, reconnects, capacity, dueTimes }, { pollIntervalMs: 1000 })
 *   .subscribe((reason) => claimer.wake(reason));
 * ```
 */
export function wakeups(sources: WakeSources, options: WakeOptions): Observable<WakeReason> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const notices = sources.notices.pipe(share());
  const isDue = (notice: Notice) => notice.dueAt === null || notice.dueAt <= scheduler.now();
  const later = notices.pipe(
    filter((notice) => !isDue(notice)),
    map((notice) => notice.dueAt as number),
  );
  return merge(
    of<WakeReason>('start'),
    notices.pipe(
      filter(isDue),
      map((): WakeReason => 'notify'),
    ),
    timer(options.pollIntervalMs, options.pollIntervalMs, scheduler).pipe(
      map((): WakeReason => 'poll'),
    ),
    sources.reconnects.pipe(map((): WakeReason => 'reconnect')),
    sources.capacity.pipe(map((): WakeReason => 'capacity')),
    dueTimer(merge(later, sources.dueTimes), scheduler).pipe(map((): WakeReason => 'due')),
  );
}

/**
 * Emits when the earliest of the given due times arrives. Only the earliest pending time is
 * armed: an earlier one replaces it, a later one is ignored (the claimer asks the database for
 * the next due time after each `due` wake, so nothing later is lost). A time already past emits
 * at once without disturbing the armed timer.
 */
export function dueTimer(
  times: Observable<number>,
  scheduler: SchedulerLike,
  maxDelayMs: number = MAX_TIMER_MS,
): Observable<number> {
  return defer(() => {
    // The pending timer's due time, or -Infinity once it has fired. Marked on firing rather than
    // read off the clock: a timer may fire a little before now() reaches its time, and the next
    // due time, learned right then, must still be armed.
    let armed = Number.NEGATIVE_INFINITY;
    const shared = times.pipe(share());
    const now = () => scheduler.now();
    return merge(
      shared.pipe(filter((time) => time <= now())),
      shared.pipe(
        filter((time) => time > now() && (armed === Number.NEGATIVE_INFINITY || time < armed)),
        switchMap((time) => {
          armed = time;
          return waitUntil(time, scheduler, maxDelayMs).pipe(
            map(() => {
              armed = Number.NEGATIVE_INFINITY;
              return time;
            }),
          );
        }),
      ),
    );
  });
}

/**
 * The longest delay a Node.js timer takes (2^31 - 1 ms, about 24.8 days): a longer one fires
 * after 1 ms instead, with a TimeoutOverflowWarning, and a worker whose next job was due in 30
 * days claimed in a tight loop.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Emits once when the scheduler's clock reaches `time`, in steps of at most `maxDelayMs`. */
function waitUntil(time: number, scheduler: SchedulerLike, maxDelayMs: number): Observable<0> {
  return defer(() => {
    const delay = time - scheduler.now();
    return delay <= maxDelayMs
      ? timer(Math.max(0, delay), scheduler)
      : timer(maxDelayMs, scheduler).pipe(switchMap(() => waitUntil(time, scheduler, maxDelayMs)));
  });
}
