import type pg from 'pg';
import type { Context } from '../db/context.js';
import { roleOf } from '../db/execute.js';
import { statementPermissionError } from '../db/permission-error.js';
import type { QueryName } from '../db/queries.js';
import { withSession } from '../db/session.js';
import { PermissionError, ScheduleNotFoundError } from '../kernel/errors.js';
import { checkKnownKeys, checkName, checkOptionsObject } from '../kernel/validate.js';
import type { AnyJobDefinition } from '../produce/define-job.js';
import { newJobIds } from '../produce/job-spec.js';
import { type ScheduleInfo, type ScheduleRow, timingOf, toScheduleInfo } from './schedule-row.js';
import {
  type DefinedScheduleOptions,
  type ResolvedSchedule,
  resolveSchedule,
  type ScheduleOptions,
  sameDefinition,
  upsertValues,
} from './schedule-spec.js';
import { firstTick } from './ticks.js';

/** What `queue.schedules.set()` did. */
export interface SetScheduleResult {
  /** The schedule as stored now. */
  schedule: ScheduleInfo;
  /** True when no schedule had the name before. */
  created: boolean;
  /** False when the schedule already had exactly this definition (nothing was written). */
  changed: boolean;
}

/** A schedule row that a claim moved on between our read and our write: read again. */
class MovedOn extends Error {}

/** How often a change is tried again when claims keep moving the schedule on meanwhile. */
const ATTEMPTS = 5;

/**
 * Recurring schedules, as `queue.schedules`: each is a row in the database, visible to every
 * process at once, and always has its next tick's job waiting as a delayed job (so the tick
 * starts on time, through the same timers as delayed jobs). Any process that works the
 * schedule's queue fires its ticks; the database makes each tick's job exactly once.
 *
 * @example
 * ```ts
 * await queue.schedules.set('nightly-report', {
 *   cron: '0 30 2 * * *', timezone: 'Europe/Berlin', queue: 'reports',
 *   job: 'nightly-report', payload: { format: 'pdf' }, overlap: 'skip',
 * });
 * ```
 */
export class Schedules {
  readonly #ctx: Context;

  /** @internal Built by `Queue`. */
  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  /**
   * Creates a schedule, or changes it (idempotent: setting the same definition again writes
   * nothing). A change replaces the waiting tick's job with the new definition's next tick, in
   * every process at once; a paused schedule stays paused. Given a job definition, the payload
   * is typed and validated by its schema.
   *
   * @throws ValidationError for a bad cron expression, time zone, interval, option or payload,
   *   naming the field; nothing is written.
   */
  set<D extends AnyJobDefinition>(
    name: string,
    options: DefinedScheduleOptions<D>,
  ): Promise<SetScheduleResult>;
  set(name: string, options: ScheduleOptions): Promise<SetScheduleResult>;
  async set(name: string, options: unknown): Promise<SetScheduleResult> {
    const spec = await resolveSchedule(name, options, this.#ctx.options.maxPayloadBytes);
    return this.#change(spec.name, (client, row) => this.#save(client, row, spec));
  }

  /** A schedule, or null when none has this name. */
  async get(name: string): Promise<ScheduleInfo | null> {
    const [row] = await this.#ctx.run<ScheduleRow>('schedule_get', [checkName('name', name)]);
    return row?.name == null ? null : toScheduleInfo(row);
  }

  /** Every schedule, or those of one queue, by name, with their last and next run. */
  async list(options?: { queue?: string }): Promise<ScheduleInfo[]> {
    const opts = checkOptionsObject('options', options);
    checkKnownKeys('options', opts, ['queue']);
    const queue = opts.queue === undefined ? null : checkName('queue', opts.queue);
    const rows = await this.#ctx.run<ScheduleRow>('schedule_list', [queue]);
    return rows.map(toScheduleInfo);
  }

  /**
   * Removes a schedule: its waiting tick's job is deleted with it; jobs it made before keep its
   * name. Returns false when no schedule had the name.
   */
  async remove(name: string): Promise<boolean> {
    return this.#change(checkName('name', name), async (client, row) => {
      if (row.name == null) return false;
      await this.#disarm(client, row);
      await this.#ctx.run('schedule_delete', [row.name], client);
      await this.#ctx.run('schedule_changed', [row.name, row.queue, 'removed'], client);
      return true;
    });
  }

  /**
   * Pauses a schedule: its waiting tick's job is deleted and no tick fires until `resume` (a
   * tick's job already running goes on). Idempotent.
   *
   * @throws ScheduleNotFoundError
   */
  async pause(name: string): Promise<ScheduleInfo> {
    return this.#change(checkName('name', name), async (client, row) => {
      if (row.name == null) throw new ScheduleNotFoundError(name);
      if (row.paused) return toScheduleInfo(row);
      await this.#arm(client, row.name, row, null, true);
      await this.#disarm(client, row);
      await this.#ctx.run('schedule_changed', [row.name, row.queue, 'paused'], client);
      return this.#read(client, row.name);
    });
  }

  /**
   * Resumes a paused schedule from its next tick after now: ticks that fell while it was paused
   * do not run. Idempotent.
   *
   * @throws ScheduleNotFoundError
   */
  async resume(name: string): Promise<ScheduleInfo> {
    return this.#change(checkName('name', name), async (client, row) => {
      if (row.name == null) throw new ScheduleNotFoundError(name);
      if (!row.paused) return toScheduleInfo(row);
      const next = firstTick(timingOf(row), dbNow(row), Number(row.runs));
      await this.#arm(client, row.name, row, next, false);
      await this.#ctx.run('schedule_changed', [row.name, row.queue, 'resumed'], client);
      return this.#read(client, row.name);
    });
  }

  /**
   * Runs the schedule's job once now, outside its ticks (also while paused, whatever its
   * overlap policy): the job carries the schedule's name and no tick. Returns its id.
   *
   * @throws ScheduleNotFoundError
   */
  async trigger(name: string): Promise<{ id: string }> {
    const checked = checkName('name', name);
    const [id] = newJobIds(1) as [string];
    const rows = await this.#ctx.run<{ queue: string }>('schedule_trigger', [
      checked,
      id,
      this.#ctx.options.maxAttempts,
    ]);
    if (rows[0] === undefined) throw new ScheduleNotFoundError(checked);
    await this.#ctx.run('schedule_changed', [checked, rows[0].queue, 'triggered']);
    return { id };
  }

  /**
   * Runs `change` in a transaction holding the schedule's lock, on the schedule as it is then
   * (a row with only `db_now_ms` set when none has the name), again when a claim moved the
   * schedule on between the read and a write.
   */
  async #change<T>(name: string, change: (client: pg.ClientBase, row: ScheduleRow) => Promise<T>) {
    const lock = `pgpulse.schedule.${this.#ctx.options.schema}.${name}`;
    for (let attempt = 1; ; attempt++) {
      try {
        return await withSession(this.#ctx.pool, async (client) => {
          await client.query('BEGIN');
          try {
            await this.#ctx.run('schedule_lock', [lock], client);
            const [row] = await this.#ctx.run<ScheduleRow>('schedule_get', [name], client);
            if (row === undefined) throw new Error('schedule_get returned no row');
            const result = await change(client, row);
            await client.query('COMMIT');
            return result;
          } catch (error) {
            await client.query('ROLLBACK').catch(() => undefined);
            throw await withRole(error, client, this.#ctx.options.schema);
          }
        });
      } catch (error) {
        if (!(error instanceof MovedOn) || attempt >= ATTEMPTS) throw error;
      }
    }
  }

  async #save(
    client: pg.ClientBase,
    row: ScheduleRow,
    spec: ResolvedSchedule,
  ): Promise<SetScheduleResult> {
    const exists = row.name != null;
    // A waiting job that is gone (purged, cancelled by hand) would stop the schedule: setting it
    // again, even unchanged, makes a new one.
    const broken =
      exists &&
      !row.paused &&
      row.next_tick_at !== null &&
      row.waiting_job_state !== 'pending' &&
      row.waiting_job_state !== 'running';
    if (exists && !broken && sameDefinition(row, spec)) {
      return { schedule: toScheduleInfo(row), created: false, changed: false };
    }
    const saved = await this.#ctx.run<{ version: number; paused: boolean }>(
      'schedule_upsert',
      [
        spec.name,
        ...upsertValues(spec),
        exists ? row.version : null,
        exists ? row.next_tick_at : null,
      ],
      client,
    );
    if (saved[0] === undefined) throw new MovedOn();
    // A waiting job that already started (or finished) keeps its tick: the next one is after it.
    const taken =
      row.next_tick_at !== null &&
      row.waiting_job_state != null &&
      row.waiting_job_state !== 'pending';
    const next = saved[0].paused
      ? null
      : firstTick(
          spec.timing,
          dbNow(row),
          exists ? Number(row.runs) : 0,
          taken ? row.next_tick_at : null,
        );
    await this.#disarm(client, row);
    await this.#arm(client, spec.name, row, next, saved[0].paused);
    await this.#ctx.run('schedule_changed', [spec.name, spec.queue, 'set'], client);
    return {
      schedule: await this.#read(client, spec.name),
      created: !exists,
      changed: true,
    };
  }

  /** Makes `next` the waiting tick (inserting its job), or none; guarded by what was read. */
  async #arm(
    client: pg.ClientBase,
    name: string,
    row: ScheduleRow,
    next: Date | null,
    paused: boolean,
  ): Promise<void> {
    const [id] = newJobIds(1);
    const armed = await this.#ctx.run(
      'schedule_arm',
      [
        name,
        next,
        id,
        this.#ctx.options.maxAttempts,
        paused,
        row.name == null ? null : row.next_tick_at,
      ],
      client,
    );
    if (armed.length === 0) throw new MovedOn();
  }

  /** Deletes the waiting tick's job, if it has not started. */
  async #disarm(client: pg.ClientBase, row: ScheduleRow): Promise<void> {
    if (row.name == null || row.next_tick_at === null) return;
    await this.#ctx.run('schedule_disarm', [row.name, row.next_tick_at], client);
  }

  async #read(client: pg.ClientBase, name: string): Promise<ScheduleInfo> {
    const [row] = await this.#ctx.run<ScheduleRow>('schedule_get', [name], client);
    if (row?.name == null) throw new ScheduleNotFoundError(name);
    return toScheduleInfo(row);
  }
}

/**
 * A refusal met inside the transaction could not name the role (a failed transaction answers
 * nothing): name it now that the transaction is rolled back.
 */
async function withRole(error: unknown, client: pg.ClientBase, schema: string): Promise<unknown> {
  if (!(error instanceof PermissionError) || error.role !== undefined) return error;
  return statementPermissionError(error.cause, {
    role: await roleOf(client, schema),
    operation: error.operation as QueryName,
    schema,
  });
}

/** The database's clock when the schedule was read. */
function dbNow(row: ScheduleRow): Date {
  return new Date(Number(row.db_now_ms));
}
