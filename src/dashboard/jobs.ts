import { getJob } from '../admin/jobs.js';
import type { Context } from '../db/context.js';
import type { QueryName } from '../db/queries.js';
import type { Job, JobState } from '../kernel/types.js';
import { checkJobId, checkName, invalid } from '../kernel/validate.js';
import type { JobPage, JobSummary, ListState, SearchResult } from './api-types.js';
import { queueNames } from './overview.js';

/** A row of the dashboard's job lists: a job without payload, result or logs. */
interface SummaryRow {
  id: string;
  queue: string;
  name: string;
  state: JobState;
  tenant: string | null;
  priority: number;
  attempts: number;
  max_attempts: number;
  run_at: Date;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  error: string | null;
  progress: unknown;
  flow_id: string | null;
  /** The page's time column as the server wrote it (microseconds kept), for the cursor. */
  cursor_at?: string;
}

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

function toSummary(row: SummaryRow): JobSummary {
  return {
    id: row.id,
    queue: row.queue,
    name: row.name,
    state: row.state,
    tenant: row.tenant,
    priority: row.priority,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAt: row.run_at.toISOString(),
    createdAt: row.created_at.toISOString(),
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    lastError: row.error,
    progress: row.progress ?? null,
    flowId: row.flow_id,
  };
}

/** A whole job, as a list shows it. */
export function summaryOfJob(job: Job): JobSummary {
  return {
    id: job.id,
    queue: job.queue,
    name: job.name,
    state: job.state,
    tenant: job.tenant,
    priority: job.priority,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    runAt: job.runAt.toISOString(),
    createdAt: job.createdAt.toISOString(),
    startedAt: iso(job.startedAt),
    finishedAt: iso(job.finishedAt),
    lastError: job.lastError?.message ?? null,
    progress: job.progress ?? null,
    flowId: job.flowId,
  };
}

export const LIST_STATES: readonly ListState[] = [
  'pending',
  'scheduled',
  'running',
  'waiting',
  'completed',
  'dead',
  'cancelled',
];

/** The lists read newest first walk down their time column; the others up. */
const DESCENDING = new Set<ListState>(['completed', 'dead', 'cancelled']);
const LOWEST_ID = '00000000-0000-0000-0000-000000000000';
const HIGHEST_ID = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

/** Where a page starts: the last row of the previous one, as an opaque string. */
interface Cursor {
  /** The pending list's priority. */
  priority?: number;
  at: string;
  id: string;
}

/** A timestamp as PostgreSQL writes it (`2026-12-02 12:24:27.123456+00`). */
const TIMESTAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?[+-]\d\d(:\d\d){0,2}$/;

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(text: string): Cursor {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
    if (typeof value.at === 'string' && TIMESTAMP.test(value.at) && typeof value.id === 'string') {
      checkJobId('cursor', value.id);
      const priority = value.priority;
      if (
        priority === undefined ||
        (Number.isInteger(priority) && priority >= -2_147_483_648 && priority <= 2_147_483_647)
      ) {
        return value;
      }
    }
  } catch {
    // reported below
  }
  throw invalid('cursor', 'the `next` of a page of this list', text);
}

/** A job list's filters, as they came in the query string. */
export interface ListRequest {
  state?: string | undefined;
  name?: string | undefined;
  tenant?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  cursor?: string | undefined;
  limit?: string | undefined;
}

function limitOf(text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) {
    throw invalid('limit', 'a whole number from 1 to 200', text);
  }
  return limit;
}

function timeOf(text: string | undefined, field: string, fallback: string): string {
  if (text === undefined || text === '') return fallback;
  const time = new Date(text);
  const year = time.getUTCFullYear();
  if (Number.isNaN(time.getTime()) || year < 1 || year > 9999) {
    throw invalid(field, 'an ISO date and time between the years 1 and 9999', text);
  }
  return time.toISOString();
}

function optionalText(text: string | undefined, field: string): string | null {
  if (text === undefined || text === '') return null;
  if (text.length > 256 || text.includes('\u0000')) {
    throw invalid(field, 'at most 256 characters, without NUL', text);
  }
  return text;
}

/** One page of a queue's jobs in one state, along that state's index (keyset pagination). */
export async function listJobPage(
  ctx: Context,
  queue: string,
  request: ListRequest,
): Promise<JobPage> {
  checkName('queue', queue);
  const state = (request.state ?? 'pending') as ListState;
  if (!LIST_STATES.includes(state)) {
    throw invalid('state', `one of ${LIST_STATES.join(', ')}`, request.state);
  }
  const limit = limitOf(request.limit, 50);
  const down = DESCENDING.has(state);
  const cursor: Cursor =
    request.cursor === undefined || request.cursor === ''
      ? down
        ? { at: 'infinity', id: HIGHEST_ID }
        : { priority: -2_147_483_648, at: '-infinity', id: LOWEST_ID }
      : decodeCursor(request.cursor);
  const filters = [
    queue,
    optionalText(request.name, 'name'),
    optionalText(request.tenant, 'tenant'),
    timeOf(request.from, 'from', '-infinity'),
    timeOf(request.to, 'to', 'infinity'),
    limit + 1,
  ];
  const after =
    state === 'pending'
      ? [cursor.priority ?? -2_147_483_648, cursor.at, cursor.id]
      : [cursor.at, cursor.id];
  const rows = await ctx.run<SummaryRow>(`dashboard_jobs_${state}` as QueryName, [
    ...filters,
    ...after,
  ]);
  return pageOf(rows, limit, state === 'pending');
}

function pageOf(rows: SummaryRow[], limit: number, withPriority: boolean): JobPage {
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  const next =
    rows.length > limit && last !== undefined
      ? encodeCursor({
          ...(withPriority ? { priority: last.priority } : {}),
          at: last.cursor_at as string,
          id: last.id,
        })
      : null;
  return { jobs: shown.map(toSummary), next };
}

/** A page of dead jobs: of one queue, or of every queue. */
export async function deadJobPage(
  ctx: Context,
  request: { queue?: string | undefined; cursor?: string | undefined; limit?: string | undefined },
): Promise<JobPage> {
  if (request.queue !== undefined && request.queue !== '') {
    return listJobPage(ctx, request.queue, { ...request, state: 'dead' });
  }
  const limit = limitOf(request.limit, 50);
  const cursor =
    request.cursor === undefined || request.cursor === ''
      ? { at: 'infinity', id: HIGHEST_ID }
      : decodeCursor(request.cursor);
  const rows = await ctx.run<SummaryRow>('dashboard_dead_all', [limit + 1, cursor.at, cursor.id]);
  return pageOf(rows, limit, false);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Finds jobs by id, else by idempotency key, else, for `path=value` within a queue, by a payload
 * field (`user.id=42` matches a payload containing `{"user":{"id":42}}`; the value is read as
 * JSON when it parses, else as a string).
 */
export async function searchJobs(
  ctx: Context,
  query: string | undefined,
  queue: string | undefined,
): Promise<SearchResult> {
  const text = (query ?? '').trim();
  if (text === '' || text.length > 1_000 || text.includes('\u0000')) {
    throw invalid('q', '1 to 1,000 characters, without NUL', query);
  }
  const inQueue = queue === undefined || queue === '' ? null : queue;
  if (inQueue !== null) checkName('queue', inQueue);
  if (UUID.test(text)) {
    const job = await getJob(ctx, text.toLowerCase());
    return { by: 'id', jobs: job === null ? [] : [summaryOfJob(job)] };
  }
  const field = /^([A-Za-z_$][\w$-]*(?:\.[A-Za-z_$][\w$-]*)*)=(.*)$/s.exec(text);
  if (field !== null && inQueue !== null) {
    const [, path = '', raw = ''] = field;
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // a bare word: a string
    }
    const fragment = path
      .split('.')
      .reverse()
      .reduce<unknown>((inner, key) => ({ [key]: inner }), value);
    const json = JSON.stringify(fragment);
    if (json.includes('\\u0000')) throw invalid('q', 'a value without NUL', query);
    const rows = await ctx.run<SummaryRow>('dashboard_search_payload', [inQueue, json]);
    return { by: 'payload', jobs: rows.map(toSummary) };
  }
  // Keys are indexed per queue: without one, each queue is asked in turn.
  const jobs: JobSummary[] = [];
  for (const name of inQueue === null ? await queueNames(ctx) : [inQueue]) {
    const rows = await ctx.run<SummaryRow>('dashboard_search_key', [text, name]);
    jobs.push(...rows.map(toSummary));
    if (jobs.length >= 50) break;
  }
  return { by: 'idempotency-key', jobs: jobs.slice(0, 50) };
}
