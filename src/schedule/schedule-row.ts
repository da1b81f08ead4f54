import type { ResolvedTiming } from '../config/schedule-timing.js';
import type { MisfirePolicy, OverlapPolicy, ScheduleJobOptions } from '../kernel/schedule-types.js';
import type { JobState } from '../kernel/types.js';

/** A row of schedule_get.sql and schedule_list.sql. */
export interface ScheduleRow {
  name: string;
  queue: string;
  job_name: string;
  payload: unknown;
  job_options: ScheduleJobOptions;
  cron: string | null;
  every_ms: string | null;
  timezone: string;
  overlap: OverlapPolicy;
  misfire: MisfirePolicy;
  misfire_cap: number;
  starts_at: Date | null;
  ends_at: Date | null;
  max_runs: string | null;
  runs: string;
  paused: boolean;
  next_tick_at: Date | null;
  last_tick_at: Date | null;
  last_job_id: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  db_now_ms: string;
  last_job_state: JobState | null;
  last_job_started_at: Date | null;
  last_job_finished_at: Date | null;
  /** schedule_get.sql only: the state of the waiting tick's job, null when it is gone. */
  waiting_job_state?: JobState | null;
}

/** Whether a schedule has a tick waiting (`active`), is `paused`, or will tick no more (`ended`). */
export type ScheduleState = 'active' | 'paused' | 'ended';

/** A stored schedule, from `queue.schedules.get()` and `list()`. */
export interface ScheduleInfo {
  /** The schedule's name, unique in the schema. */
  name: string;
  /** The queue its jobs go to, and their job name. */
  queue: string;
  jobName: string;
  /** The payload of each tick's job. */
  payload: unknown;
  /** The job options of each tick's job. */
  jobOptions: ScheduleJobOptions;
  /** The cron expression, or null for an interval. */
  cron: string | null;
  /** The interval in ms, or null for a cron expression. */
  everyMs: number | null;
  /** The IANA zone the cron expression is read in. */
  timezone: string;
  /** See {@link OverlapPolicy}. */
  overlap: OverlapPolicy;
  /** See {@link MisfirePolicy}. */
  misfire: MisfirePolicy;
  /** With misfire `all`: most missed ticks run. */
  misfireCap: number;
  /** No tick before this time, or null. */
  startAt: Date | null;
  /** No tick after this time, or null. */
  endAt: Date | null;
  /** At most this many tick jobs in all, or null. */
  maxRuns: number | null;
  /** Tick jobs made so far (skipped ones included). */
  runs: number;
  /** See {@link ScheduleState}. */
  state: ScheduleState;
  /** The tick whose job waits (due then); null while paused or once ended. */
  nextRunAt: Date | null;
  /** The latest tick whose job started, or null. */
  lastRunAt: Date | null;
  /** The last job that ran (a tick's, or one run by hand), and its state now. */
  lastJob: {
    id: string;
    state: JobState | null;
    startedAt: Date | null;
    finishedAt: Date | null;
  } | null;
  /** When the schedule was created, and last changed or moved on (database clock). */
  createdAt: Date;
  updatedAt: Date;
}

/** The timing a row stores, as {@link ResolvedTiming}. */
export function timingOf(row: ScheduleRow): ResolvedTiming {
  return {
    cron: row.cron,
    everyMs: row.every_ms === null ? null : Number(row.every_ms),
    timezone: row.timezone,
    overlap: row.overlap,
    misfire: row.misfire,
    misfireCap: row.misfire_cap,
    startAt: row.starts_at,
    endAt: row.ends_at,
    maxRuns: row.max_runs === null ? null : Number(row.max_runs),
  };
}

export function toScheduleInfo(row: ScheduleRow): ScheduleInfo {
  return {
    name: row.name,
    queue: row.queue,
    jobName: row.job_name,
    payload: row.payload,
    jobOptions: row.job_options,
    cron: row.cron,
    everyMs: row.every_ms === null ? null : Number(row.every_ms),
    timezone: row.timezone,
    overlap: row.overlap,
    misfire: row.misfire,
    misfireCap: row.misfire_cap,
    startAt: row.starts_at,
    endAt: row.ends_at,
    maxRuns: row.max_runs === null ? null : Number(row.max_runs),
    runs: Number(row.runs),
    state: row.paused ? 'paused' : row.next_tick_at === null ? 'ended' : 'active',
    nextRunAt: row.next_tick_at,
    lastRunAt: row.last_tick_at,
    lastJob:
      row.last_job_id === null
        ? null
        : {
            id: row.last_job_id,
            state: row.last_job_state,
            startedAt: row.last_job_started_at,
            finishedAt: row.last_job_finished_at,
          },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
