import { type ResolvedTiming, resolveTiming, TIMING_KEYS } from '../config/schedule-timing.js';
import type { ScheduleJobOptions, ScheduleTiming } from '../kernel/schedule-types.js';
import { checkKnownKeys, checkName, checkOptionsObject } from '../kernel/validate.js';
import {
  type AnyJobDefinition,
  type InputOf,
  isJobDefinition,
  validatePayload,
  withDefinitionDefaults,
} from '../produce/define-job.js';
import { resolveJobSpec } from '../produce/job-spec.js';
import type { ScheduleRow } from './schedule-row.js';

/** What `queue.schedules.set()` takes for a job given by name (or none: `'default'`). */
export interface ScheduleOptions extends ScheduleTiming {
  /** The queue each tick's job is sent to. */
  queue: string;
  /** The job name of each tick's job. Default `'default'`. */
  job?: string;
  /** The payload of each tick's job (any JSON). Default null. */
  payload?: unknown;
  /** The job options of each tick's job. */
  options?: ScheduleJobOptions;
}

/**
 * What `queue.schedules.set()` takes for a job definition (`defineJob`): the payload is typed by
 * it and validated by its schema when the schedule is set; its defaults apply under `options`.
 */
export type DefinedScheduleOptions<D extends AnyJobDefinition> = Omit<
  ScheduleOptions,
  'job' | 'payload'
> & { job: D } & (undefined extends InputOf<D>
    ? { payload?: InputOf<D> }
    : { payload: InputOf<D> });

/** A schedule's definition, validated: what schedule_upsert.sql stores. */
export interface ResolvedSchedule {
  readonly name: string;
  readonly queue: string;
  readonly jobName: string;
  readonly payloadJson: string;
  readonly jobOptions: ScheduleJobOptions;
  readonly timing: ResolvedTiming;
}

const KEYS = [...TIMING_KEYS, 'queue', 'job', 'payload', 'options'] as const;

/**
 * Validates a schedule's definition: its name, queue and timing, its job options, and its payload
 * (through the job definition's schema, when `job` is one).
 *
 * @throws ValidationError naming the first bad field (`cron`, `timezone`, `every`,
 *   `payload.to`...); nothing is written.
 */
export async function resolveSchedule(
  name: unknown,
  input: unknown,
  maxPayloadBytes: number,
): Promise<ResolvedSchedule> {
  const checkedName = checkName('name', name);
  const options = checkOptionsObject('options', input) as Partial<ScheduleOptions> & {
    job?: unknown;
  };
  checkKnownKeys('options', options as Record<string, unknown>, KEYS);
  const queue = checkName('queue', options.queue);
  const timing = resolveTiming(options);
  const definition = isJobDefinition(options.job) ? (options.job as AnyJobDefinition) : undefined;
  if (definition === undefined && options.job !== undefined) checkName('job', options.job);
  const jobOptions = checkOptionsObject('options.options', options.options) as ScheduleJobOptions;
  checkKnownKeys('options.options', jobOptions as Record<string, unknown>, [
    'priority',
    'maxAttempts',
    'backoff',
    'tenant',
  ]);
  const payload =
    definition === undefined
      ? (options.payload ?? null)
      : await validatePayload(definition, options.payload);
  const merged =
    definition === undefined
      ? { ...jobOptions, name: (options.job as string | undefined) ?? 'default' }
      : withDefinitionDefaults(definition, jobOptions);
  // The checks of a sent job's options and payload, so that a tick's job is one `send` accepts.
  const spec = resolveJobSpec('', payload, merged, { maxPayloadBytes });
  return {
    name: checkedName,
    queue,
    jobName: spec.name,
    payloadJson: spec.payloadJson,
    jobOptions: {
      ...(spec.priority === 0 ? {} : { priority: spec.priority }),
      ...(spec.maxAttempts === null ? {} : { maxAttempts: spec.maxAttempts }),
      ...(spec.backoff === null ? {} : { backoff: spec.backoff as ScheduleJobOptions['backoff'] }),
      ...(spec.tenant === null ? {} : { tenant: spec.tenant }),
    },
    timing,
  };
}

/** The parameters $2 to $14 of schedule_upsert.sql. */
export function upsertValues(spec: ResolvedSchedule): unknown[] {
  const { timing } = spec;
  return [
    spec.queue,
    spec.jobName,
    spec.payloadJson,
    JSON.stringify(spec.jobOptions),
    timing.cron,
    timing.everyMs,
    timing.timezone,
    timing.overlap,
    timing.misfire,
    timing.misfireCap,
    timing.startAt,
    timing.endAt,
    timing.maxRuns,
  ];
}

/** Whether a stored schedule already has this definition (so that setting it changes nothing). */
export function sameDefinition(row: ScheduleRow, spec: ResolvedSchedule): boolean {
  const { timing } = spec;
  const time = (date: Date | null) => date?.getTime() ?? null;
  return (
    row.queue === spec.queue &&
    row.job_name === spec.jobName &&
    canonical(row.payload) === canonical(JSON.parse(spec.payloadJson)) &&
    canonical(row.job_options) === canonical(spec.jobOptions) &&
    row.cron === timing.cron &&
    (row.every_ms === null ? null : Number(row.every_ms)) === timing.everyMs &&
    row.timezone === timing.timezone &&
    row.overlap === timing.overlap &&
    row.misfire === timing.misfire &&
    row.misfire_cap === timing.misfireCap &&
    time(row.starts_at) === time(timing.startAt) &&
    time(row.ends_at) === time(timing.endAt) &&
    (row.max_runs === null ? null : Number(row.max_runs)) === timing.maxRuns
  );
}

/** JSON with object keys sorted, to compare a value with what jsonb gives back. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(
          Object.entries(inner as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0,
          ),
        )
      : inner,
  );
}
