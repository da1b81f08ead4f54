import {
  catchError,
  EMPTY,
  filter,
  map,
  type Observable,
  Subject,
  type Subscription,
  share,
} from 'rxjs';
import { Claimer } from '../claim/claimer.js';
import type { Context } from '../db/context.js';
import { isTransient } from '../db/failure.js';
import { runEvery } from '../kernel/cleanup.js';
import { describeError } from '../kernel/error-record.js';
import { JobCancelledError, WorkerStoppedError } from '../kernel/job-errors.js';
import type { LogFields } from '../kernel/logger.js';
import type { ClaimedJob } from '../kernel/types.js';
import { InFlight, type LeasedEntry } from '../lease/in-flight.js';
import { LeaseKeeper } from '../lease/lease-keeper.js';
import { channelsFor } from '../notify/channels.js';
import { decodeJobsNotice, type JobsNotice } from '../notify/jobs-channel.js';
import { type HandOffPort, Settlements, type SettlePort } from '../settle/settlements.js';
import type { Listener } from '../wake/listener.js';
import { type Notice, wakeups } from '../wake/wakeups.js';
import { ClaimedAhead } from './claimed-ahead.js';
import { type ConsumerConfig, withStoredSettings } from './consumer-config.js';
import { ConsumerTicks } from './consumer-ticks.js';
import { Registration } from './registration.js';
import { ConsumerReports } from './reports.js';
import type {
  ConsumerError,
  WorkerEvent,
  WorkerEventOf,
  WorkerEventType,
} from './worker-events.js';

/**
 * The consuming half of pgpulse for one queue: wakes (notifications, polls, timers for delayed
 * jobs, freed capacity) drive a claimer that leases at most `capacity` jobs; leases are renewed in
 * one statement per heartbeat; cancellations abort the job's signal; settlements are batched.
 * What happens to a claimed job is up to its dispatcher (run a handler, or emit to a
 * subscriber), which must end every job through its settle port: complete, fail, release or
 * abort.
 */
export class Consumer {
  readonly inFlight = new InFlight();
  readonly #ctx: Context;
  readonly #listener: Listener | null;
  #config: ConsumerConfig;
  readonly #dispatch: (entry: LeasedEntry) => void;
  /** How this consumer's jobs end: the port its dispatcher was given. */
  readonly #settlements: Settlements;
  #claimer: Claimer | undefined;
  #leases: LeaseKeeper | undefined;
  /** Schedules' ticks move their schedule on before they run; stalled schedules are repaired. */
  #ticks: ConsumerTicks | undefined;
  #registration: Registration | undefined;
  readonly #dueTimes = new Subject<number>();
  #clockOffsetMs = 0;
  #wakes: Subscription | undefined;
  #cancels: Subscription | undefined;
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  readonly #ready: Promise<void>;
  #markReady!: () => void;
  #failReady!: (error: unknown) => void;
  /** Its events, its metrics and its log lines about jobs. */
  readonly #reports: ConsumerReports;
  /** The permanent error that stopped claiming, once one did. */
  #fatal: unknown;
  /** When a transient problem was last logged, by what the consumer was doing. */
  readonly #lastWarned = new Map<string, number>();
  /** Jobs claimed ahead of their due time wait for it. */
  readonly #ahead = new ClaimedAhead();

  /**
   * @param dispatcher - makes what runs each claimed job, given the port through which the job
   *   must end (complete, fail, release or abort).
   */
  constructor(
    ctx: Context,
    listener: Listener | null,
    config: ConsumerConfig,
    dispatcher: (port: SettlePort) => (entry: LeasedEntry) => void,
  ) {
    this.#ctx = ctx;
    this.#listener = listener;
    this.#config = config;
    this.#reports = new ConsumerReports(ctx, config.queue, {
      logOutcomes: config.role !== 'observer',
    });
    // A completion that releases children hands the first in line to this consumer when the
    // completing job is the only one it holds (running or settling): the child then starts
    // without a claim. A busy consumer keeps its freed slots for its claims, which find children
    // as fast, and its completions cheap. A consumer of one tenant's jobs takes none: a child
    // may be another tenant's.
    const handOff: HandOffPort | undefined =
      config.claim.tenant === null
        ? {
            take: () =>
              this.inFlight.size <= 1 && this.#stopping === undefined && this.#fatal === undefined
                ? {
                    queue: this.#config.queue,
                    workerId: this.#config.claim.workerId,
                    leaseMs: this.#config.claim.leaseMs,
                  }
                : undefined,
            taken: (job, sentAt) => this.#onClaimed([job], sentAt, job.startedAt.getTime()),
          }
        : undefined;
    this.#settlements = new Settlements(ctx, this.inFlight, this.#reports, handOff);
    this.#dispatch = dispatcher(this.#settlements);
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#markReady = resolve;
      this.#failReady = reject;
    });
    // Nobody need await `ready`: a failure is reported through `events` and the logger too.
    this.#ready.catch(() => undefined);
  }

  /**
   * Starts waking, claiming and heartbeating, once the queue's stored settings are read (a
   * stored `leaseMs` applies to a consumer that was given none).
   */
  start(): void {
    this.#starting ??= withStoredSettings(this.#ctx, this.#config).then(
      (config) => {
        this.#config = config;
        if (this.#stopping === undefined) this.#run();
        else this.#markReady();
      },
      (error: unknown) => this.problem(error, 'settings'),
    );
  }

  /** What happens while consuming (see {@link WorkerEvent}); completes when it stops. */
  get events(): Observable<WorkerEvent> {
    return this.#reports.events;
  }

  /** Calls `listener` with each event of `type`; returns what stops it. */
  on<T extends WorkerEventType>(type: T, listener: (event: WorkerEventOf<T>) => void): () => void {
    return this.#reports.on(type, listener);
  }

  /**
   * Reports a problem met while consuming. A transient one is logged (at most every 10 s per
   * kind) and retried by whoever met it; a permanent one stops claiming for good: it is logged
   * once as an error, `ready` rejects with it if it had not resolved, and `events` carries it.
   */
  problem(error: unknown, during: ConsumerError['during']): void {
    const { queue } = this.#config;
    const described = describeError(error);
    const fields: LogFields = { scope: 'pgpulse.consumer', queue, during, error: described };
    if (isTransient(error)) {
      this.#reports.emit({ type: 'error', error, fatal: false, during });
      const last = this.#lastWarned.get(during) ?? 0;
      if (Date.now() - last > 10_000) {
        this.#lastWarned.set(during, Date.now());
        const message = `pgpulse: ${during} failed on queue ${queue}; retrying`;
        this.#ctx.options.logger.warn(message, fields);
      }
      return;
    }
    if (this.#fatal !== undefined) return;
    this.#fatal = error;
    this.#wakes?.unsubscribe();
    void this.#claimer?.stop();
    void this.#ticks?.stop();
    this.#ctx.options.logger.error(
      `pgpulse: consuming queue ${queue} stopped: ${described.message}`,
      fields,
    );
    this.#failReady(error);
    this.#reports.emit({ type: 'error', error, fatal: true, during });
  }

  /** The permanent error that stopped this consumer, or undefined while it is healthy. */
  get failure(): unknown {
    return this.#fatal;
  }

  /**
   * Resolves once the consumer is running and idle: its LISTEN is active (or notifications
   * turned out to be unavailable) and its first claims have returned. From then on, a job sent
   * is found by a notification (or a poll), not by the start-up claim.
   */
  get ready(): Promise<void> {
    this.start();
    return this.#ready;
  }

  #run(): void {
    const ctx = this.#ctx;
    const config = this.#config;
    const { queue, pollIntervalMs } = config;
    this.#ticks = new ConsumerTicks(ctx, queue, {
      dispatch: (entry) => this.#ahead.whenDue(entry, this.#dispatch),
      release: (entry, delayMs) => this.#settlements.release(entry, delayMs),
      remove: (entry) => this.inFlight.remove(entry),
      problem: (error) => this.problem(error, 'schedule'),
    });
    const claimer = new Claimer({
      ctx,
      queue,
      claim: config.claim,
      free: () => config.capacity - this.inFlight.active,
      aheadMs: config.claimAheadMs,
      onClaimed: (jobs, sentAt, dbNowMs) => this.#onClaimed(jobs, sentAt, dbNowMs),
      // Timers for delayed jobs wake the claimer as far ahead as its claims look.
      onNextDue: ({ dueAt, clockOffsetMs }) => {
        this.#clockOffsetMs = clockOffsetMs;
        if (dueAt !== null) this.#dueTimes.next(dueAt - claimer.aheadMs);
      },
      onRetryIn: (ms) => this.#dueTimes.next(Date.now() + ms),
      onError: (error, during) => this.problem(error, during),
    });
    this.#claimer = claimer;
    this.#leases = new LeaseKeeper(
      ctx,
      this.inFlight,
      { leaseMs: config.claim.leaseMs, heartbeatMs: config.heartbeatMs },
      (entry, reason) => this.#settlements.abort(entry, reason),
      (error) => this.problem(error, 'heartbeat'),
    );
    const listener = this.#listener;
    const channel =
      listener === null
        ? EMPTY
        : listener.channel<unknown>(channelsFor(ctx.options.schema).jobs).pipe(
            map(decodeJobsNotice),
            filter(
              (notice): notice is JobsNotice =>
                notice !== null && (notice.kind === 'any' || notice.queue === queue),
            ),
            // A listener that failed for good (no privilege...) stops this consumer too.
            catchError((error: unknown) => {
              this.problem(error, 'listen');
              return EMPTY;
            }),
            share(),
          );
    // Jobs became pending, or the queue's settings changed: a reason to claim.
    const notices = channel.pipe(
      filter((notice) => notice.kind !== 'cancel'),
      map((notice): Notice => {
        if (notice.kind === 'pending' && notice.runAt !== null) claimer.announced(notice.runAt);
        return {
          dueAt:
            notice.kind === 'pending' && notice.runAt !== null
              ? notice.runAt - this.#clockOffsetMs - claimer.aheadMs
              : null,
        };
      }),
    );
    this.#cancels = channel.subscribe((notice) => {
      if (notice.kind !== 'cancel') return;
      const entry = this.inFlight.get(notice.id);
      if (entry !== undefined) this.#settlements.abort(entry, new JobCancelledError(entry.job.id));
    });
    this.#wakes = wakeups(
      {
        notices,
        reconnects: listener?.connected$ ?? EMPTY,
        capacity: this.inFlight.freed$,
        dueTimes: this.#dueTimes,
      },
      { pollIntervalMs },
    ).subscribe((reason) => claimer.wake(reason));
    this.#leases.start();
    const ticks = this.#ticks;
    const registration = new Registration(
      ctx,
      config,
      () => this.inFlight.size,
      (error) => this.problem(error, 'register'),
    );
    this.#registration = registration;
    void (async () => {
      await registration.start();
      if (listener !== null) {
        await listener.whenReady(channelsFor(ctx.options.schema).jobs).catch(() => undefined);
      }
      await claimer.quiet();
      if (this.#fatal !== undefined || this.#stopping !== undefined) return;
      this.#markReady();
      // Only a consumer that works repairs stalled schedules: one that cannot has said why once.
      ticks.start();
    })();
  }

  /**
   * Shuts down in order: stop waking and claiming; let held jobs finish while heartbeats go on,
   * until `graceMs`; abort the rest and release them back to pending at once (not when their
   * lease would expire); write what is pending; let go of the listener. Memoised.
   */
  stop(graceMs: number): Promise<void> {
    this.#stopping ??= runEvery([
      () => this.#starting?.catch(() => undefined),
      () => this.#wakes?.unsubscribe(),
      () => this.#claimer?.stop(),
      () => this.#releaseUnstarted(),
      () => this.#ahead.clear(),
      () => this.inFlight.drained(performance.now() + graceMs),
      () => {
        const unfinished = this.inFlight.entries().filter((entry) => !entry.settling);
        const stopped = new WorkerStoppedError();
        for (const entry of unfinished) this.inFlight.abort(entry, stopped);
        return Promise.all(
          unfinished.map((entry) => this.#settlements.release(entry).catch(() => undefined)),
        );
      },
      () => this.#settlements.drain(),
      () => this.#leases?.stop(),
      () => this.#ticks?.stop(),
      () => this.#registration?.stop(),
      () => this.#cancels?.unsubscribe(),
      () => this.#dueTimes.complete(),
      () => this.inFlight.complete(),
      () => this.#markReady(), // stopped before it was ready: nothing is left to wait for
      () => this.#reports.complete(),
    ]);
    return this.#stopping;
  }

  /**
   * Gives back at once the jobs claimed ahead (`prefetch`) whose handler has not begun: they
   * would otherwise wait for a slot during the grace period, and then run.
   */
  #releaseUnstarted(): Promise<unknown> {
    const waiting = this.inFlight.entries().filter((entry) => !entry.started && !entry.settling);
    if (waiting.length === 0) return Promise.resolve();
    const stopped = new WorkerStoppedError();
    for (const entry of waiting) this.inFlight.abort(entry, stopped);
    return Promise.all(
      waiting.map((entry) => this.#settlements.release(entry).catch(() => undefined)),
    );
  }

  #onClaimed(jobs: ClaimedJob[], sentAt: number, dbNowMs: number): void {
    const receivedAt = performance.now();
    for (const job of jobs) {
      const dueAt = this.#ahead.note(job, dbNowMs, receivedAt);
      const entry = this.inFlight.add(job, sentAt, this.#config.claim.leaseMs, dueAt);
      if (this.#stopping !== undefined) {
        // Claimed while stopping: straight back to pending, unstarted.
        void this.#settlements.release(entry).catch(() => undefined);
      } else if (this.#ticks !== undefined) {
        this.#ticks.dispatch(entry);
      } else {
        this.#ahead.whenDue(entry, this.#dispatch);
      }
    }
  }
}
