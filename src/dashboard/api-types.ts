/**
 * The dashboard's HTTP API, as the browser sees it: every response body is one of these types,
 * JSON-encoded (dates as ISO strings, see {@link Wire}). Shared by the server (src/dashboard/)
 * and the bundled UI (src/dashboard/ui/), type-only.
 *
 * Every path is under `<base>/api`. Reads are `GET`; actions are `POST` (or `PATCH`, `DELETE`)
 * with the header `x-pgpulse-csrf: <csrfToken of GET /session>` and a JSON body. An error is
 * `{ error: { code, message } }` with a 4xx/5xx status: 400 `validation`, 403 `read-only` or
 * `csrf`, 401 `unauthorized`, 404 `not-found`, 409 `invalid-state`, 500 `internal`.
 */

import type { JobExplanation } from '../admin/explain.js';
import type { FlowInfo } from '../admin/flows.js';
import type { QueueInfo } from '../admin/queue-settings.js';
import type { WorkerInfo } from '../admin/workers.js';
import type { Job, JobState } from '../kernel/types.js';
import type { JobEvent } from '../observe/job-events.js';
import type { ScheduleInfo } from '../schedule/schedule-row.js';

/** A type as it travels as JSON: dates become ISO strings. */
export type Wire<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;

export interface ApiError {
  error: { code: string; message: string };
}

/** GET /session: what the page needs to know about this dashboard. */
export interface SessionInfo {
  /** No mutation is offered and the API refuses every one. */
  readOnly: boolean;
  /** Sent back as `x-pgpulse-csrf` on every mutating request. */
  csrfToken: string;
  /** pgpulse's version. */
  version: string;
}

/** A count that may be an estimate (from the planner) where an exact count would scan. */
export interface Count {
  value: number;
  /** True when `value` is the planner's estimate, not an exact count. */
  estimated: boolean;
}

export type CountState =
  | 'waiting'
  | 'pending'
  | 'scheduled'
  | 'running'
  | 'completed'
  | 'dead'
  | 'cancelled';

/** One queue on the overview. */
export interface QueueOverview {
  name: string;
  paused: boolean;
  /** Jobs per state (`scheduled`: pending but not yet due; also counted in `pending`). */
  counts: Record<CountState, Count>;
  /** How long the oldest due pending job has waited, ms; null when none waits. */
  oldestPendingAgeMs: number | null;
  /**
   * Enqueue-to-start latency (from the later of `created_at` and `run_at` to `started_at`) over
   * the newest finished jobs (at most 1,000, of the last 5 minutes), ms; null without any.
   */
  latency: { p50: number; p99: number; sample: number } | null;
  /** Live workers consuming it, from the registry. */
  workers: number;
}

/** One point of the live series: what happened in one bucket, per queue. */
export interface SeriesPoint {
  /** The bucket's start, ms since the epoch. */
  t: number;
  /** Per queue: jobs completed, attempts failed (retried or dead), jobs gone dead, jobs sent. */
  queues: Record<string, { completed: number; failed: number; dead: number; enqueued: number }>;
}

/** GET /overview, and the `overview` event of GET /live. */
export interface Overview {
  /** When it was read, ISO. */
  at: string;
  queues: QueueOverview[];
  /** Throughput and failures, oldest first, `bucketMs` apart (the last 15 minutes). */
  series: { bucketMs: number; points: SeriesPoint[] };
}

/** GET /queues/:name. */
export interface QueueDetail {
  /** Its stored settings (null ones are unset: the defaults apply). */
  settings: Wire<QueueInfo>;
  overview: QueueOverview;
}

/**
 * PATCH /queues/:name/settings, body: the settings to change, as in `queue.queues.update()`
 * (any of `concurrencyLimit`, `rateLimit`, `fairTenants`, `retention`, `maxAttempts`, `leaseMs`,
 * `backoff`, `groups`; null clears one). Answers the new {@link QueueDetail}.
 *
 * POST /queues/:name/pause, /queues/:name/resume: answer {@link QueueDetail}.
 *
 * POST /queues/:name/purge, body {@link PurgeRequest}: answers `{ deleted: { [state]: number } }`
 * (jobs deleted per state); 400 `confirmation` unless `confirm` equals the queue's name.
 */
export interface PurgeRequest {
  /** The queue's name, typed by the operator. */
  confirm: string;
  /** Which states to delete (pending, completed, dead, cancelled); default pending. */
  states?: JobState[];
}

/** The states a job list can show, each in its natural order (see {@link JobListQuery}). */
export type ListState =
  | 'pending'
  | 'scheduled'
  | 'running'
  | 'waiting'
  | 'completed'
  | 'dead'
  | 'cancelled';

/**
 * GET /queues/:name/jobs?state=&name=&tenant=&from=&to=&cursor=&limit=
 *
 * `state` is required (default `pending`). Order: pending by priority then run_at (claim order);
 * scheduled by run_at; running by started_at; waiting by created_at; completed, dead and
 * cancelled newest finished first. `from`/`to` (ISO) bound that same time column. `tenant` is
 * the job's group. `limit` 1..200 (default 50). `cursor` is the `next` of the previous page.
 */
export interface JobListQuery {
  state: ListState;
  name?: string;
  tenant?: string;
  from?: string;
  to?: string;
  cursor?: string;
  limit?: number;
}

/** A job in a list: no payload, result or logs (GET /jobs/:id has them). */
export interface JobSummary {
  id: string;
  queue: string;
  name: string;
  state: JobState;
  tenant: string | null;
  priority: number;
  attempts: number;
  maxAttempts: number;
  runAt: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** The last error's message, if any. */
  lastError: string | null;
  /** The handler's last reported progress, if any. */
  progress: unknown;
  flowId: string | null;
}

/** A page of a job list. */
export interface JobPage {
  jobs: JobSummary[];
  /** The cursor of the next page; null at the end. */
  next: string | null;
}

/** GET /jobs/:id. */
export interface JobDetail {
  job: Wire<Job>;
  /** Why it is not running (null for a finished job). */
  explain: Wire<JobExplanation> | null;
  /** Which actions apply to it now (the page offers only these; the API checks again). */
  actions: { retry: boolean; cancel: boolean; delete: boolean };
}

/**
 * POST /jobs/:id/retry (a dead job back to pending with fresh attempts: a redrive of one),
 * POST /jobs/:id/cancel, DELETE /jobs/:id (not a running one): answer {@link JobDetail}, or for
 * delete `{ deleted: true }`; 409 `invalid-state` when the job's state does not allow it.
 *
 * GET /dead?queue=&cursor=&limit=: dead jobs of every queue (or one), newest first: a JobPage.
 * POST /dead/redrive, body `{ queue: string, ids?: string[] }`: answers `{ redriven: string[] }`
 * (every dead job of the queue when `ids` is absent).
 */
export interface RedriveRequest {
  queue: string;
  ids?: string[];
}

/**
 * GET /schedules: every schedule. POST /schedules/:name/pause and /resume act on one, answering
 * it as it is then (a {@link ScheduleAnswer}); POST /schedules/:name/trigger answers a
 * {@link ScheduleTriggered}. 404 `not-found` when no schedule has the name.
 */
export interface ScheduleList {
  schedules: Wire<ScheduleInfo>[];
}

/** What POST /schedules/:name/pause and /resume answer: the schedule as it is now. */
export type ScheduleAnswer = Wire<ScheduleInfo>;

/** What POST /schedules/:name/trigger answers: the job it sent. */
export interface ScheduleTriggered {
  id: string;
}

/** GET /flows?cursor=: recent flows, newest first. */
export interface FlowSummary {
  id: string;
  /** When its first job was sent. */
  createdAt: string;
  counts: Partial<Record<JobState, number>>;
  finished: boolean;
  jobs: number;
}
export interface FlowList {
  flows: FlowSummary[];
  next: string | null;
}

/** GET /flows/:id: the DAG (every job with its parents and children). */
export type FlowDetail = Wire<FlowInfo>;

/** GET /workers: the live registry. */
export interface WorkerList {
  workers: Wire<WorkerInfo>[];
}

/**
 * GET /search?q=&queue=: a job id (exact), else an idempotency key (exact, within `queue` when
 * given), else a payload field `path=value` (e.g. `user.id=42`, within `queue`, over its newest
 * 50,000 jobs per table). At most 50 hits.
 */
export interface SearchResult {
  /** How `q` was read. */
  by: 'id' | 'idempotency-key' | 'payload';
  jobs: JobSummary[];
}

/**
 * GET /live: Server-Sent Events. `event: overview` (an {@link Overview}, at once and every 2 s),
 * `event: job` (a {@link LiveJobEvent} for every lifecycle event, any process), and comments as
 * keep-alives every 15 s. The browser's EventSource reconnects by itself.
 */
export type LiveJobEvent = Wire<JobEvent>;
