import type { StandardSchemaV1 } from '@standard-schema/spec';
import { resolveBackoff } from '../config/backoff.js';
import { MAX_DURATION_MS } from '../config/options.js';
import { resolveTiming, TIMING_KEYS } from '../config/schedule-timing.js';
import type { JobContext } from '../execute/job-context.js';
import { ValidationError } from '../kernel/errors.js';
import type { ScheduleJobOptions, ScheduleTiming } from '../kernel/schedule-types.js';
import type { BackoffPolicy } from '../kernel/types.js';
import {
  checkInteger,
  checkKnownKeys,
  checkName,
  checkOptionsObject,
  invalid,
} from '../kernel/validate.js';
import type { JobOptions } from './job-spec.js';

const DEFINITION = Symbol.for('pgpulse.jobDefinition');

/**
 * A recurring schedule declared with a job definition: `queue.work(queue, definitions)` and
 * `pgpulse work` install it (as `queue.schedules.set()` would, on the worker's queue) when they
 * start. Installing is idempotent, so every worker process may do it; it leaves a paused schedule
 * paused.
 *
 * @example
 * ```ts
 * const cleanup = defineJob({
 *   name: 'cleanup',
 *   schedule: { cron: '0 0 3 * * *', timezone: 'Europe/Berlin', payload: { days: 30 } },
 *   handler: async (job) => purgeOlderThan(job.payload.days),
 * });
 * ```
 */
export interface DeclaredSchedule<Input = unknown> extends ScheduleTiming {
  /** The schedule's name. Default: the definition's name. */
  name?: string;
  /** The payload of every tick's job, validated by the definition's schema when installed. */
  payload?: Input;
  /** Job options of every tick's job, over the definition's defaults. */
  options?: ScheduleJobOptions;
}

/** What `defineJob()` takes. */
export interface JobDefinitionOptions<Output, Result, Input = Output> {
  /** The job type: jobs of this definition carry it as their `name`, and workers route by it. */
  name: string;
  /**
   * Any Standard Schema validator (zod, valibot, arktype...). Payloads are validated when sent
   * (a bad one is refused with a ValidationError naming the field; nothing is written) and again
   * when a worker receives them (a job inserted by other means with a bad payload goes to dead).
   */
  schema?: StandardSchemaV1<unknown, Output>;
  /** Default priority of its jobs (lower runs first). */
  priority?: number;
  /** Default attempts of its jobs. */
  maxAttempts?: number;
  /** Default backoff of its jobs. */
  backoff?: BackoffPolicy;
  /** Abort a run of one of its jobs after this long (the attempt fails). */
  timeoutMs?: number;
  /** Runs a job of this type: optional, for a definition used only to send. */
  handler?: (job: JobContext<Output>) => Result | Promise<Result>;
  /** A recurring schedule of this job type, installed by the workers that work it. */
  schedule?: DeclaredSchedule<Input>;
}

/**
 * A typed job type from `defineJob()`: send it with
 * `queue.send(queueName, definition, payload)` and work it with
 * `queue.work(queueName, [definitions...])`.
 * `Input` is what `send` accepts, `Output` what the handler receives.
 */
export interface JobDefinition<Input = unknown, Output = Input, Result = unknown> {
  readonly name: string;
  readonly schema: StandardSchemaV1<Input, Output> | null;
  readonly priority: number | undefined;
  readonly maxAttempts: number | undefined;
  readonly backoff: BackoffPolicy | undefined;
  readonly timeoutMs: number | undefined;
  readonly handler: ((job: JobContext<Output>) => Result | Promise<Result>) | undefined;
  /** The schedule declared with the definition, checked (its payload is validated when installed). */
  readonly schedule: DeclaredSchedule<Input> | undefined;
  /** Types only, never set: what `send` takes, the handler receives and returns. */
  readonly types?: { input: Input; output: Output; result: Result };
  readonly [DEFINITION]: true;
}

/** A job definition of any payload and result type, where any will do (lists, parameters). */
// biome-ignore lint/suspicious/noExplicitAny: a definition's handler makes its types invariant
export type AnyJobDefinition = JobDefinition<any, any, any>;

/** What `send` accepts as the payload of a definition's job. */
export type InputOf<D extends AnyJobDefinition> = NonNullable<D['types']>['input'];

/**
 * Defines a job type: its name, an optional payload schema that types and validates what is
 * sent, its defaults, and its handler.
 *
 * @throws ValidationError for a bad name or option.
 * @example
 * ```ts
 * const welcome = defineJob({
 *   name: 'welcome-email',
 *   schema: z.object({ to: z.email() }),
 *   maxAttempts: 3,
 *   handler: async (job) => mailer.send(job.payload.to, { signal: job.signal }),
 * });
 * await queue.send('emails', welcome, { to: 'ada@example.com' }); // typed and validated
 * queue.work('emails', [welcome, passwordReset]);                 // routed by job name
 * ```
 */
export function defineJob<S extends StandardSchemaV1, Result = unknown>(
  options: JobDefinitionOptions<
    StandardSchemaV1.InferOutput<S>,
    Result,
    StandardSchemaV1.InferInput<S>
  > & { schema: S },
): JobDefinition<StandardSchemaV1.InferInput<S>, StandardSchemaV1.InferOutput<S>, Result>;
export function defineJob<Payload = unknown, Result = unknown>(
  options: JobDefinitionOptions<Payload, Result> & { schema?: undefined },
): JobDefinition<Payload, Payload, Result>;
export function defineJob(options: JobDefinitionOptions<unknown, unknown>): JobDefinition {
  const opts = checkOptionsObject('definition', options);
  checkKnownKeys('definition', opts, [
    'name',
    'schema',
    'priority',
    'maxAttempts',
    'backoff',
    'timeoutMs',
    'handler',
    'schedule',
  ]);
  const schema = opts.schema as StandardSchemaV1 | undefined;
  if (schema !== undefined && typeof schema?.['~standard']?.validate !== 'function') {
    throw invalid('schema', 'a Standard Schema validator (zod, valibot, arktype...)', schema);
  }
  if (opts.handler !== undefined && typeof opts.handler !== 'function') {
    throw invalid('handler', 'a function', opts.handler);
  }
  const optional = <T>(key: string, check: (value: unknown) => T): T | undefined =>
    opts[key] === undefined ? undefined : check(opts[key]);
  return Object.freeze({
    name: checkName('name', opts.name),
    schema: schema ?? null,
    priority: optional('priority', (v) => checkInteger('priority', v, -32768, 32767)),
    maxAttempts: optional('maxAttempts', (v) => checkInteger('maxAttempts', v, 1, 1_000_000)),
    backoff: optional('backoff', (v) => resolveBackoff('backoff', v) as BackoffPolicy),
    timeoutMs: optional('timeoutMs', (v) => checkInteger('timeoutMs', v, 1, MAX_DURATION_MS)),
    handler: opts.handler as JobDefinition['handler'],
    schedule: opts.schedule === undefined ? undefined : checkDeclaredSchedule(opts.schedule),
    [DEFINITION]: true as const,
  });
}

/** A declared schedule's shape and timing, checked now; its payload waits for installing. */
function checkDeclaredSchedule(value: unknown): DeclaredSchedule {
  const schedule = checkOptionsObject('schedule', value) as DeclaredSchedule;
  checkKnownKeys('schedule', schedule as Record<string, unknown>, [
    ...TIMING_KEYS,
    'name',
    'payload',
    'options',
  ]);
  if (schedule.name !== undefined) checkName('schedule.name', schedule.name);
  resolveTiming(schedule, 'schedule.');
  checkOptionsObject('schedule.options', schedule.options);
  return Object.freeze({ ...schedule });
}

/** Whether `value` came from `defineJob()`. */
export function isJobDefinition(value: unknown): value is JobDefinition {
  return typeof value === 'object' && value !== null && DEFINITION in value;
}

/**
 * The payload after the definition's schema, or a ValidationError naming the first bad field
 * (`payload.to`, or `items[2].payload.to` in a batch).
 */
export async function validatePayload<Output>(
  definition: JobDefinition<unknown, Output>,
  payload: unknown,
  field = 'payload',
): Promise<Output> {
  if (definition.schema === null) return payload as Output;
  const result = await definition.schema['~standard'].validate(payload);
  if (result.issues === undefined) return result.value;
  const [issue] = result.issues;
  const path = (issue?.path ?? []).map((segment) =>
    typeof segment === 'object' && segment !== null && 'key' in segment ? segment.key : segment,
  );
  const at = path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : `${text}.${String(key)}`),
    field,
  );
  throw new ValidationError(
    at,
    `Expected \`${at}\` to match the schema of job ${JSON.stringify(definition.name)}: ${
      issue?.message ?? 'invalid'
    }`,
  );
}

/** A job's send options with the definition's defaults under the caller's. */
export function withDefinitionDefaults(
  definition: JobDefinition,
  options: JobOptions | undefined,
): JobOptions {
  const given = checkOptionsObject('options', options) as JobOptions;
  if (given.name !== undefined && given.name !== definition.name) {
    throw invalid('name', `absent or ${JSON.stringify(definition.name)}`, given.name);
  }
  return {
    ...(definition.priority === undefined ? {} : { priority: definition.priority }),
    ...(definition.maxAttempts === undefined ? {} : { maxAttempts: definition.maxAttempts }),
    ...(definition.backoff === undefined ? {} : { backoff: definition.backoff }),
    ...given,
    name: definition.name,
  };
}

/**
 * Batch items of one definition, validated (each payload through the schema, naming the item:
 * `items[2].payload.to`) and with the definition's defaults under each item's own options.
 */
export async function applyDefinition(
  definition: JobDefinition,
  items: unknown,
): Promise<unknown[]> {
  if (!Array.isArray(items)) throw invalid('items', 'an array of jobs', items);
  return Promise.all(
    items.map(async (item: unknown, index) => {
      const field = `items[${index}]`;
      if (item === null || typeof item !== 'object' || !('payload' in item)) {
        throw invalid(field, 'an object with a `payload`', item);
      }
      const { payload, ...options } = item as { payload: unknown } & JobOptions;
      return {
        ...withDefinitionDefaults(definition, options),
        payload: await validatePayload(definition, payload, `${field}.payload`),
      };
    }),
  );
}
