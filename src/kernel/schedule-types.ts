import type { BackoffPolicy } from './types.js';

/*
 * The shapes of a recurring schedule's definition, shared by the public API (`schedules.set`,
 * `defineJob`'s schedule), its validation (config/schedule-timing.ts) and its storage.
 */

/**
 * What a schedule does when a tick comes due while the previous tick's job is unfinished
 * (pending or running): `allow` runs it anyway; `skip` skips it (its job is cancelled unstarted,
 * with the result `{ skipped: 'overlap' }`).
 */
export type OverlapPolicy = 'allow' | 'skip';

/**
 * What a schedule does about ticks that came due while no process claimed its jobs (every
 * process was down, or its queue was paused or stuck): `once` runs one job for all of them (the
 * job of the first missed tick); `all` runs one job per missed tick, the newest `misfireCap` of
 * them; `skip` runs none and waits for the next tick.
 */
export type MisfirePolicy = 'once' | 'all' | 'skip';

/**
 * When a schedule ticks: a cron expression or an interval (exactly one), and its policies.
 * See the guide's "Recurring schedules" page (docs/guide/schedules.md) for the policies'
 * semantics.
 */
export interface ScheduleTiming {
  /**
   * A cron expression of 5, 6 (seconds first) or 7 (year last) fields, with croner's extensions
   * (`L`, `W`, `#`, `@daily`...), read in `timezone`. Not with `every`.
   */
  cron?: string;
  /**
   * An interval: milliseconds (an integer of at least 100), or a duration such as `'250ms'`,
   * `'30s'`, `'5m'`, `'1h30m'`, `'1d'`. Ticks fall on `startAt` plus whole intervals (without
   * `startAt`, on whole intervals since the Unix epoch, so `'1m'` ticks on the minute). Not with
   * `cron`.
   */
  every?: number | string;
  /** The IANA time zone a cron expression is read in, e.g. `'Europe/Berlin'`. Default `'UTC'`. */
  timezone?: string;
  /** Default `'allow'`. */
  overlap?: OverlapPolicy;
  /** Default `'once'`. */
  misfire?: MisfirePolicy;
  /** With `misfire: 'all'`: most missed ticks run, from 1 to 10,000. Default 100. */
  misfireCap?: number;
  /** No tick before this time. Default: none. */
  startAt?: Date;
  /** No tick after this time (a tick at it still runs). Default: none. */
  endAt?: Date;
  /** At most this many tick jobs in all (skipped ones count). Default: no limit. */
  maxRuns?: number;
}

/** The job options a schedule gives each of its jobs. */
export interface ScheduleJobOptions {
  /** Lower runs first, from -32768 to 32767. Default 0. */
  priority?: number;
  /** Attempts before a job goes to dead. Default: the queue's stored default, else the client's. */
  maxAttempts?: number;
  /** How long to wait between attempts. Default: the queue's policy. */
  backoff?: BackoffPolicy;
  /** The tenant each job belongs to. */
  tenant?: string;
}
