import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, test } from 'vitest';
import { type ClaimedJob, JobCancelledError, type JobEvent } from '../../src/index.js';
import { useTestQueue } from '../helpers/database.js';
import { deferred } from '../helpers/deferred.js';
import { useWorkerProcesses } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const { db, sql, queue } = await useTestQueue({ poolSize: 10 });
const spawn = useWorkerProcesses(db.url, sql);

async function stateOf(id: string | undefined): Promise<string | undefined> {
  return (await queue.getJob(id as string))?.state;
}

async function claimOne(name: string): Promise<ClaimedJob> {
  const [job] = await queue.claim(name, { batchSize: 1 });
  if (job === undefined) throw new Error(`no job to claim in ${name}`);
  return job;
}

describe('a parent that fails', () => {
  test('stops its children by their policy: cancel (and their children), dead with a reason, or run', async () => {
    const { ids } = await queue.flow([
      { ref: 'parent', queue: 'pol', payload: null, maxAttempts: 1 },
      { ref: 'cancelled', queue: 'pol-kids', payload: null, dependsOn: ['parent'] },
      { ref: 'grandchild', queue: 'pol-kids', payload: null, dependsOn: ['cancelled'] },
      {
        ref: 'dead',
        queue: 'pol-kids',
        payload: null,
        dependsOn: ['parent'],
        onParentFailure: 'dead',
      },
      {
        ref: 'runs',
        queue: 'pol-kids',
        payload: null,
        dependsOn: [{ ref: 'parent', onFailure: 'run' }],
      },
    ]);
    await queue.fail(await claimOne('pol'), new Error('boom'));
    expect(await stateOf(ids.parent)).toBe('dead');
    expect(await stateOf(ids.cancelled)).toBe('cancelled');
    expect(await stateOf(ids.grandchild)).toBe('cancelled');
    const dead = await queue.getJob(ids.dead as string);
    expect(dead?.state).toBe('dead');
    expect(dead?.lastError).toMatchObject({ code: 'PARENT_FAILED', retryable: false });
    expect(dead?.lastError?.message).toContain(ids.parent);
    expect(await stateOf(ids.runs)).toBe('pending');
    const runs = await claimOne('pol-kids');
    expect(runs.id).toBe(ids.runs);
  });

  test('a retry of a parent does not release its child; only its completion does', async () => {
    const { ids } = await queue.flow([
      {
        ref: 'p',
        queue: 'retry',
        payload: null,
        maxAttempts: 3,
        backoff: { type: 'fixed', delayMs: 0 },
      },
      { ref: 'c', queue: 'retry-kids', payload: null, dependsOn: ['p'] },
    ]);
    await queue.fail(await claimOne('retry'), new Error('transient'));
    expect(await stateOf(ids.p)).toBe('pending');
    expect(await stateOf(ids.c)).toBe('waiting');
    await queue.complete(await claimOne('retry'), 'ok');
    expect(await stateOf(ids.c)).toBe('pending');
  });

  test('redriving a dead parent resumes the flow: what its failure stopped waits for it again', async () => {
    const { ids, flowId } = await queue.flow([
      { ref: 'p', queue: 'redrive', payload: null, maxAttempts: 1 },
      { ref: 'other', queue: 'redrive', payload: null },
      { ref: 'c', queue: 'redrive-kids', payload: null, dependsOn: ['p', 'other'] },
      { ref: 'd', queue: 'redrive-kids', payload: null, dependsOn: ['c'], onParentFailure: 'dead' },
    ]);
    const first = await claimOne('redrive');
    const second = await claimOne('redrive');
    const [failing, completing] = first.id === ids.p ? [first, second] : [second, first];
    await queue.complete(completing, 'other done');
    await queue.fail(failing, new Error('boom'));
    expect([await stateOf(ids.c), await stateOf(ids.d)]).toEqual(['cancelled', 'dead']);
    // Redriving the children's queue leaves them: they come back with their parent.
    expect(await queue.redrive('redrive-kids')).toEqual([]);
    expect(await queue.redrive('redrive')).toEqual([ids.p]);
    expect([await stateOf(ids.c), await stateOf(ids.d)]).toEqual(['waiting', 'waiting']);
    const c = await queue.getJob(ids.c as string);
    expect(c?.lastError).toBeNull();
    await queue.complete(await claimOne('redrive'), 'p done');
    await queue.complete(await claimOne('redrive-kids'), 'c done');
    await queue.complete(await claimOne('redrive-kids'), 'd done');
    const flow = await queue.flows.get(flowId);
    expect(flow?.finished).toBe(true);
    expect(flow?.counts.completed).toBe(4);
  });

  test('cancelling one job cancels its children by the default policy', async () => {
    const { ids } = await queue.flow([
      { ref: 'p', queue: 'cancel-one', payload: null },
      { ref: 'c', queue: 'cancel-one', payload: null, dependsOn: ['p'] },
    ]);
    expect(await queue.cancel(ids.p as string)).toMatchObject({ previousState: 'pending' });
    expect(await stateOf(ids.c)).toBe('cancelled');
  });
});

describe('purging a queue', () => {
  test('settles the children of purged pending jobs as if those were cancelled', async () => {
    const { ids } = await queue.flow([
      { ref: 'p', queue: 'purged', payload: null },
      { ref: 'c', queue: 'purge-kids', payload: null, dependsOn: ['p'] },
      { ref: 'r', queue: 'purge-kids', payload: null, dependsOn: [{ ref: 'p', onFailure: 'run' }] },
    ]);
    expect(await queue.queues.purge('purged', { states: ['pending'] })).toEqual({ pending: 1 });
    expect(await stateOf(ids.c)).toBe('cancelled');
    expect(await stateOf(ids.r)).toBe('pending');
  });
});

describe('cancelling a flow', () => {
  test('mid-run: the running job is aborted, the rest never runs, dead jobs stay', async () => {
    const started = deferred<void>();
    const aborted = deferred<unknown>();
    const worker = queue.work('cancel-flow', async (job) => {
      started.resolve();
      await new Promise((_, reject) =>
        job.signal.addEventListener('abort', () => {
          aborted.resolve(job.signal.reason);
          reject(job.signal.reason);
        }),
      );
    });
    try {
      const { ids, flowId } = await queue.flow([
        { ref: 'a', queue: 'cancel-flow', payload: null },
        { ref: 'b', queue: 'cancel-flow', payload: null, dependsOn: ['a'] },
        { ref: 'c', queue: 'cancel-flow-later', payload: null },
      ]);
      await started.promise;
      expect(await queue.flows.cancel(flowId)).toBe(3);
      expect(await aborted.promise).toBeInstanceOf(JobCancelledError);
      const flow = await queue.flows.get(flowId);
      expect(flow?.counts).toMatchObject({ cancelled: 3, running: 0, waiting: 0, pending: 0 });
      expect(flow?.finished).toBe(true);
      expect(await stateOf(ids.b)).toBe('cancelled');
      expect(await queue.flows.cancel(flowId)).toBe(0);
    } finally {
      await worker.stop();
    }
  });
});

describe('batches', () => {
  test('the callback runs once every job settled, with counts of completed and dead ones', async () => {
    const counts = deferred<unknown>();
    const worker = queue.work<{ fail?: boolean }>(
      'batch-jobs',
      (job) => {
        if (job.payload.fail) throw new Error('no');
      },
      { concurrency: 4 },
    );
    const callback = queue.work('batch-done', async (job) => {
      counts.resolve(await job.parentCounts());
    });
    try {
      const result = await queue.batch(
        Array.from({ length: 5 }, (_, i) => ({
          queue: 'batch-jobs',
          payload: { fail: i < 2 },
          maxAttempts: 1,
        })),
        { queue: 'batch-done', payload: { report: true } },
      );
      expect(result.ids).toHaveLength(5);
      expect(await counts.promise).toEqual({
        total: 5,
        completed: 3,
        dead: 2,
        cancelled: 0,
        unsettled: 0,
      });
      await waitFor(async () => (await stateOf(result.callbackId)) === 'completed', 'callback');
    } finally {
      await Promise.all([worker.stop(), callback.stop()]);
    }
  });
});

describe('events', () => {
  test('carry the flow id, and say when a waiting job became ready', async () => {
    const seen = firstValueFrom(
      queue.events('events-flow').pipe(
        filter((e: JobEvent) => e.type === 'ready' || e.type === 'completed'),
        take(3),
        toArray(),
      ),
    );
    // The subscription registers its watcher asynchronously: wait until it counts.
    await waitFor(async () => {
      const { rows } = await sql.query('SELECT pgpulse.events_watched() AS on');
      return rows[0].on === true;
    }, 'the event watcher');
    const { ids, flowId } = await queue.flow([
      { ref: 'a', queue: 'events-flow', payload: null },
      { ref: 'b', queue: 'events-flow', payload: null, dependsOn: ['a'] },
    ]);
    await queue.complete(await claimOne('events-flow'), null);
    await queue.complete(await claimOne('events-flow'), null);
    const events = await seen;
    expect(events.map((e) => [e.type, e.id, e.flowId])).toEqual([
      ['completed', ids.a, flowId],
      ['ready', ids.b, flowId],
      ['completed', ids.b, flowId],
    ]);
  });
});

test('a worker SIGKILLed mid-flow: the flow still completes, each job completed once', async () => {
  const [doomed] = await spawn({
    TEST_QUEUE: 'flow-crash',
    TEST_LEASE_MS: '800',
    TEST_CONCURRENCY: '2',
  });
  const { ids, flowId } = await queue.flow([
    { ref: 'root', queue: 'flow-crash', payload: { hold: true } },
    ...Array.from({ length: 20 }, (_, i) => ({
      ref: `c${i}`,
      queue: 'flow-crash',
      payload: { n: i },
      dependsOn: ['root'],
    })),
    {
      ref: 'last',
      queue: 'flow-crash',
      payload: {},
      dependsOn: Array.from({ length: 20 }, (_, i) => `c${i}`),
    },
  ]);
  await doomed?.waitFor((message) => message.type === 'started' && message.id === ids.root);
  await doomed?.kill();
  const [survivor] = await spawn({ TEST_QUEUE: 'flow-crash', TEST_LEASE_MS: '800' });
  await waitFor(async () => (await queue.flows.get(flowId))?.finished === true, 'the flow', 60_000);
  const flow = await queue.flows.get(flowId);
  expect(flow?.counts.completed).toBe(22);
  const { rows } = await sql.query(
    `SELECT job_id, count(*)::int AS runs FROM handled WHERE job_id = ANY($1) GROUP BY job_id`,
    [Object.values(ids)],
  );
  const runs = new Map(rows.map((r: { job_id: string; runs: number }) => [r.job_id, r.runs]));
  expect(runs.get(ids.root as string)).toBe(2); // killed once, then run again
  for (const [ref, id] of Object.entries(ids)) {
    if (ref !== 'root') expect(runs.get(id)).toBe(1);
  }
  await survivor?.stop();
});
