/**
 * Type tests of the public API: checked by `npm run typecheck` (tsc), never run. A change to what
 * users see in their editor fails here, as a change to the API's shape fails the checked-in API
 * report (etc/pgpulse.api.md).
 */
import type pg from 'pg';
import type { Observable } from 'rxjs';
import { expectTypeOf } from 'vitest';
import { z } from 'zod';
import * as api from '../../src/index.js';
import {
  type ClaimedJob,
  closeOnSignals,
  defineJob,
  type JobContext,
  type JobEvent,
  type JobSpec,
  type Logger,
  pinoLogger,
  type Queue,
  type ReceivedJob,
  type ScheduleInfo,
  type SendOptions,
  type SendResult,
  type SetScheduleResult,
  type SqlExecutor,
  type Worker,
  type WorkerEvent,
  type WorkerEventOf,
} from '../../src/index.js';
import * as testing from '../../src/testing/index.js';

declare const queue: Queue;

// defineJob: the payload type comes from the schema (input for send, output for the handler).
const welcome = defineJob({
  name: 'welcome',
  schema: z.object({ to: z.string().email(), retries: z.number().default(0) }),
  handler: async (job) => {
    expectTypeOf(job.payload).toEqualTypeOf<{ to: string; retries: number }>();
    return { sent: true };
  },
});
// ...without a schema, from the type argument.
const plain = defineJob<{ n: number }, string>({
  name: 'plain',
  handler: (job) => {
    expectTypeOf(job.payload).toEqualTypeOf<{ n: number }>();
    return String(job.payload.n);
  },
});

// send: a definition types the payload (the schema's input: defaults may be left out)...
expectTypeOf(queue.send('emails', welcome, { to: 'a@b.c' })).toEqualTypeOf<Promise<SendResult>>();
// @ts-expect-error a payload the definition's schema does not accept
void queue.send('emails', welcome, { to: 42 });
// @ts-expect-error a definition's payload cannot be left out
void queue.send('emails', plain);
// ...and a plain payload is whatever it is.
void queue.send('emails', { anything: [1, 2, 3] });
// One options type for send, sendBatch's items carry their own job options.
expectTypeOf<Parameters<Queue['send']>>().toBeArray();
const options: SendOptions = { delayMs: 5, idempotencyKey: 'k', onDuplicate: 'reject' };
void queue.send('emails', {}, options);
const items: JobSpec<{ n: number }>[] = [{ payload: { n: 1 }, priority: -1 }];
expectTypeOf(queue.sendBatch('emails', items)).toEqualTypeOf<Promise<SendResult[]>>();
void queue.sendBatch('emails', plain, [{ payload: { n: 1 } }]);
// @ts-expect-error sendBatch's options are the call's, not a job's
void queue.sendBatch('emails', items, { delayMs: 5 });

// Transactions: a pg client or pool is an executor as it is; so is any query(text, values).
declare const poolClient: pg.PoolClient;
declare const pool: pg.Pool;
const executors: SqlExecutor[] = [poolClient, pool, { query: async () => ({ rows: [] }) }];
void executors;
void queue.send('emails', {}, { client: poolClient });
void queue.sendBatch('emails', items, { client: { query: async () => ({ rows: [{ id: 'x' }] }) } });
expectTypeOf(
  queue.withTransaction(async (client) => {
    expectTypeOf(client).toEqualTypeOf<pg.PoolClient>();
    return 1;
  }),
).toEqualTypeOf<Promise<number>>();

// work: the handler sees the payload type it names, with signal and helpers.
const worker = queue.work<{ to: string }, { ok: boolean }>('emails', async (job) => {
  expectTypeOf(job).toMatchTypeOf<JobContext<{ to: string }>>();
  expectTypeOf(job.signal).toEqualTypeOf<AbortSignal>();
  return { ok: true };
});
expectTypeOf(worker).toEqualTypeOf<Worker>();
expectTypeOf(worker.ready).toEqualTypeOf<Promise<void>>();
expectTypeOf(worker.events).toEqualTypeOf<Observable<WorkerEvent>>();
void queue.work('emails', [welcome, plain]);

// observe: the generic flows into the received jobs.
const stream = queue.observe<{ order: number }>('orders');
expectTypeOf(stream).toEqualTypeOf<Observable<ReceivedJob<{ order: number }>>>();
stream.subscribe((job) => {
  expectTypeOf(job.payload.order).toBeNumber();
  expectTypeOf(job.ack).parameter(0).toBeUnknown();
});

// events: a stream of JobEvent, a union told apart by `type`, with the fields of each type.
expectTypeOf(queue.events('emails')).toEqualTypeOf<Observable<JobEvent>>();
queue.events('emails').subscribe((event) => {
  // @ts-expect-error only a failed event has an error
  void event.error;
  if (event.type === 'failed') expectTypeOf(event.error).toBeString();
  if (event.type === 'enqueued') expectTypeOf(event.runAt).toEqualTypeOf<Date>();
  if (event.type === 'retried') expectTypeOf(event.redriven).toBeBoolean();
  if (event.type === 'progress') expectTypeOf(event.progress).toBeUnknown();
  if (event.type === 'tick') expectTypeOf(event.tickAt).toEqualTypeOf<Date | null>();
  if (event.type === 'schedule') expectTypeOf(event.change).toEqualTypeOf<api.ScheduleChange>();
  if (event.type === 'ready') expectTypeOf(event.runAt).toEqualTypeOf<Date>();
  expectTypeOf(event.flowId).toEqualTypeOf<string | undefined>();
});

// worker events: a union too; on(type) hands the listener that type's event.
worker.events.subscribe((event) => {
  if (event.type === 'completed') expectTypeOf(event.job).toEqualTypeOf<ClaimedJob>();
  if (event.type === 'failed') expectTypeOf(event.runAt).toEqualTypeOf<Date | null>();
  if (event.type === 'error') expectTypeOf(event.fatal).toBeBoolean();
});
const off = worker.on('dead', (event) => {
  expectTypeOf(event).toEqualTypeOf<WorkerEventOf<'dead'>>();
  expectTypeOf(event.attempt).toBeNumber();
});
expectTypeOf(off).toEqualTypeOf<() => void>();
// @ts-expect-error no such worker event
worker.on('started', () => undefined);

// The logger: (message, fields) with a scope; debug and info optional, so console fits.
const logger: Logger = console;
void new api.Queue({ connectionString: '', logger });
void new api.Queue({ connectionString: '', logger: { warn() {}, error() {} } });
const pinoLike = { debug() {}, info() {}, warn() {}, error() {} };
expectTypeOf(pinoLogger(pinoLike)).toMatchTypeOf<Logger>();

// Shutdown: a queue is Closable; closeOnSignals returns a disposer.
const handlers = closeOnSignals(queue, { graceMs: 1000, signals: ['SIGTERM'] });
expectTypeOf(handlers.closed).toEqualTypeOf<Promise<NodeJS.Signals>>();
handlers[Symbol.dispose]();
expectTypeOf(queue.close({ graceMs: 0 })).toEqualTypeOf<Promise<void>>();

// schedules: a definition types the payload, validated when set; a job name takes any JSON.
expectTypeOf(
  queue.schedules.set('welcome-daily', {
    cron: '0 0 9 * * *',
    timezone: 'Europe/Berlin',
    queue: 'emails',
    job: welcome,
    payload: { to: 'a@b.c' },
    overlap: 'skip',
    misfire: 'all',
    misfireCap: 10,
  }),
).toEqualTypeOf<Promise<SetScheduleResult>>();
const hourly = { every: '1h', queue: 'emails', job: welcome, payload: { to: 42 } } as const;
// @ts-expect-error a payload the definition's schema does not accept
void queue.schedules.set('welcome-hourly', hourly);
// @ts-expect-error a definition's payload cannot be left out
void queue.schedules.set('plain-hourly', { every: 3_600_000, queue: 'emails', job: plain });
void queue.schedules.set('ping', { every: 250, queue: 'pings', job: 'ping', payload: [1, 'a'] });
// @ts-expect-error the policies are named
void queue.schedules.set('ping', { every: 250, queue: 'pings', misfire: 'later' });
expectTypeOf(queue.schedules.list()).toEqualTypeOf<Promise<ScheduleInfo[]>>();
expectTypeOf(queue.schedules.get('ping')).toEqualTypeOf<Promise<ScheduleInfo | null>>();
expectTypeOf(queue.schedules.trigger('ping')).toEqualTypeOf<Promise<{ id: string }>>();
// A schedule declared with a definition is typed by its schema's input too.
defineJob({
  name: 'digest',
  schema: z.object({ since: z.string(), limit: z.number().default(10) }),
  schedule: { cron: '@daily', payload: { since: 'yesterday' } },
  handler: async (job) => job.payload.limit,
});
defineJob({
  name: 'digest',
  schema: z.object({ since: z.string() }),
  // @ts-expect-error a declared schedule's payload must match the schema
  schedule: { cron: '@daily', payload: { since: 1 } },
});
// A job carries its schedule and tick.
void queue.work('emails', async (job) => {
  expectTypeOf(job.schedule).toEqualTypeOf<string | null>();
  expectTypeOf(job.tickAt).toEqualTypeOf<Date | null>();
});
// explain: a reason by stable code, with its details; groups and the registry.
expectTypeOf(queue.explain('id')).resolves.toEqualTypeOf<api.JobExplanation>();
expectTypeOf<api.JobExplanation['reason']['code']>().toEqualTypeOf<api.ExplainReason>();
expectTypeOf(queue.groups.set).parameter(2).toEqualTypeOf<api.GroupOverride>();
expectTypeOf(queue.groups.get('q', 'k')).resolves.toEqualTypeOf<api.GroupInfo>();
expectTypeOf(queue.workers.list()).resolves.toEqualTypeOf<api.WorkerInfo[]>();
// @ts-expect-error fifo is a setting of every group of a queue, not of one group
void queue.groups.set('q', 'k', { fifo: true });

// Worker and the other parts are types only: nothing unconstructible is a value.
export function neverCalled(): unknown[] {
  return [
    // @ts-expect-error Worker is exported as a type, not as a class users could construct
    api.Worker,
    // @ts-expect-error so is QueueAdmin
    api.QueueAdmin,
    // @ts-expect-error and Schedules
    api.Schedules,
    // @ts-expect-error and GroupAdmin
    api.GroupAdmin,
  ];
}

// pgpulse/testing: typed waits and drains.
export async function testingTypes(): Promise<void> {
  const job = await testing.waitForJob<{ to: string }, { sent: boolean }>(queue, 'id', 'completed');
  expectTypeOf(job.payload.to).toBeString();
  expectTypeOf(job.result).toEqualTypeOf<{ sent: boolean } | null>();
  await testing.waitForJob(queue, 'id', (j) => j.attempts > 1, { timeoutMs: 100 });
  // @ts-expect-error not a job state
  await testing.waitForJob(queue, 'id', 'done');
  const drained = await testing.drain<{ n: number }>(queue, 'q', async (j) => j.payload.n);
  expectTypeOf(drained.completed[0]).toEqualTypeOf<api.WorkerCompletedEvent | undefined>();
  await testing.drain(queue, 'q', [welcome, plain], { worker: { concurrency: 2 } });
  const clock = new testing.TestClock(queue, { queues: ['q'] });
  expectTypeOf(await clock.advance(1000)).toEqualTypeOf<{ moved: number; schedules: number }>();
  const server = await testing.startTestDatabase({ setup: async (url) => void url });
  await using db = await testing.createTestDatabase(server.info);
  expectTypeOf(db.url).toBeString();
  await server.stop();
}

// Flows: a DAG by refs, a job waiting on ids, a child reading its parents' results.
expectTypeOf(
  queue.flow([
    { ref: 'a', queue: 'q', payload: 1 },
    { ref: 'b', queue: 'q', payload: 2, dependsOn: ['a', { id: 'x', onFailure: 'run' }] },
  ]),
).resolves.toEqualTypeOf<api.FlowResult>();
expectTypeOf(
  queue.send('q', 1, { dependsOn: ['id'], onParentFailure: 'dead' }),
).resolves.toEqualTypeOf<SendResult>();
expectTypeOf(queue.flows.get('id')).resolves.toEqualTypeOf<api.FlowInfo | null>();
queue.work('q', async (job) => {
  expectTypeOf(await job.parentResults<number>()).toEqualTypeOf<api.ParentResult<number>[]>();
  expectTypeOf(await job.parentCounts()).toEqualTypeOf<api.ParentCounts>();
});
// @ts-expect-error an unknown policy
queue.send('q', 1, { onParentFailure: 'maybe' });
