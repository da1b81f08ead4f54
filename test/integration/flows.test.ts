import { describe, expect, test } from 'vitest';
import { type FlowNode, type JobContext, Queue, ValidationError } from '../../src/index.js';
import { useTestQueue } from '../helpers/database.js';
import { waitFor } from '../helpers/wait.js';

const { db, sql, queue } = await useTestQueue({ poolSize: 10 });

async function stateOf(id: string): Promise<string | undefined> {
  return (await queue.getJob(id))?.state;
}

async function jobCount(): Promise<number> {
  const { rows } = await sql.query('SELECT count(*)::int AS n FROM pgpulse.all_jobs');
  return rows[0].n;
}

/** Claims every due job of a queue and completes each with `result(job)`. */
async function drain(name: string, result: (payload: unknown) => unknown = () => null) {
  const done: string[] = [];
  for (;;) {
    const jobs = await queue.claim(name, { batchSize: 100 });
    if (jobs.length === 0) return done;
    for (const job of jobs) {
      await queue.complete(job, result(job.payload));
      done.push(job.id);
    }
  }
}

describe('dependencies released on completion', () => {
  test('a chain runs one job after the other, each becoming pending as its parent completes', async () => {
    const { ids, flowId } = await queue.flow([
      { ref: 'a', queue: 'chain', payload: 1 },
      { ref: 'b', queue: 'chain', payload: 2, dependsOn: ['a'] },
      { ref: 'c', queue: 'chain', payload: 3, dependsOn: ['b'] },
    ]);
    const a = ids.a as string;
    const b = ids.b as string;
    const c = ids.c as string;
    expect([await stateOf(a), await stateOf(b), await stateOf(c)]).toEqual([
      'pending',
      'waiting',
      'waiting',
    ]);
    expect((await queue.getJob(b))?.flowId).toBe(flowId);
    expect(await drain('chain')).toEqual([a, b, c]);
    expect((await queue.stats('chain')).counts).toMatchObject({ completed: 3, waiting: 0 });
  });

  test('send with dependsOn waits for jobs sent before, across queues, and joins their flow', async () => {
    const [p1, p2] = await queue.sendBatch('left', [{ payload: 'x' }, { payload: 'y' }]);
    const child = await queue.send(
      'right',
      { n: 1 },
      { dependsOn: [p1?.id as string, p2?.id as string] },
    );
    expect(await stateOf(child.id)).toBe('waiting');
    const flowId = (await queue.getJob(child.id))?.flowId;
    expect(flowId).toEqual(expect.any(String));
    const [first] = await queue.claim('left', { batchSize: 1 });
    await queue.complete(first as never, 'one');
    expect(await stateOf(child.id)).toBe('waiting');
    expect(await queue.claim('right')).toEqual([]);
    await drain('left', (payload) => `done ${payload}`);
    expect(await stateOf(child.id)).toBe('pending');
    // A grandchild of the child joins the child's flow.
    const grandchild = await queue.send('right', null, { dependsOn: [child.id] });
    expect((await queue.getJob(grandchild.id))?.flowId).toBe(flowId);
  });

  test('a parent that completed already counts as done; one completed before its key frees', async () => {
    const parent = await queue.send('early', 'p');
    await drain('early', () => 'result of p');
    const child = await queue.send('early-child', null, { dependsOn: [parent.id] });
    expect(await stateOf(child.id)).toBe('pending');
    const [claimed] = await queue.claim('early-child');
    expect(claimed?.id).toBe(child.id);
  });

  test('a diamond runs its last job once, after both middles, reading their results in one call', async () => {
    const seen: Array<{ ref: unknown; parents: unknown }> = [];
    const worker = queue.work<{ ref: string }>(
      'diamond',
      async (job: JobContext<{ ref: string }>) => {
        const parents = await job.parentResults<string>();
        seen.push({ ref: job.payload.ref, parents: parents.map((p) => p.result).sort() });
        return `result ${job.payload.ref}`;
      },
    );
    try {
      const { ids } = await queue.flow(
        ['a', 'b', 'c', 'd'].map(
          (ref): FlowNode => ({
            ref,
            queue: 'diamond',
            payload: { ref },
            dependsOn: ref === 'a' ? [] : ref === 'd' ? ['b', 'c'] : ['a'],
          }),
        ),
      );
      await waitFor(async () => (await stateOf(ids.d as string)) === 'completed', 'd completed');
      expect(seen.map((s) => s.ref)).toHaveLength(4);
      expect(seen[0]).toEqual({ ref: 'a', parents: [] });
      expect(seen[3]).toEqual({ ref: 'd', parents: ['result b', 'result c'] });
    } finally {
      await worker.stop();
    }
  });

  test('fan-out: completing one parent releases its 1,000 children in the same statement', async () => {
    const nodes: FlowNode[] = [{ ref: 'root', queue: 'fan-out', payload: null }];
    for (let i = 0; i < 1000; i++) {
      nodes.push({ ref: `c${i}`, queue: 'fan-out-kids', payload: i, dependsOn: ['root'] });
    }
    await queue.flow(nodes);
    expect((await queue.stats('fan-out-kids')).counts.waiting).toBe(1000);
    const [root] = await queue.claim('fan-out');
    await queue.complete(root as never, null);
    expect((await queue.stats('fan-out-kids')).counts).toMatchObject({ waiting: 0, pending: 1000 });
  });

  test('refused input writes nothing: cycles, self-dependency, unknown refs and ids, the limit', async () => {
    const before = await jobCount();
    const cases: Array<[unknown, string]> = [
      [
        [
          { ref: 'a', queue: 'bad', payload: 1, dependsOn: ['c'] },
          { ref: 'b', queue: 'bad', payload: 1, dependsOn: ['a'] },
          { ref: 'c', queue: 'bad', payload: 1, dependsOn: ['b'] },
        ],
        'a → b → c → a',
      ],
      [[{ ref: 'a', queue: 'bad', payload: 1, dependsOn: ['a'] }], 'nodes[0].dependsOn[0]'],
      [[{ ref: 'a', queue: 'bad', payload: 1, dependsOn: ['zz'] }], 'nodes[0].dependsOn[0]'],
      [
        [
          { ref: 'a', queue: 'bad', payload: 1 },
          { ref: 'a', queue: 'bad', payload: 1 },
        ],
        'nodes[1].ref',
      ],
      [
        [
          { ref: 'a', queue: 'bad', payload: 1 },
          { ref: 'b', queue: 'bad', payload: 1, dependsOn: ['a', 'a'] },
        ],
        'nodes[1].dependsOn[1]',
      ],
      [
        [
          { ref: 'a', queue: 'bad', payload: 1 },
          {
            ref: 'b',
            queue: 'bad',
            payload: 1,
            dependsOn: [{ id: '0190f0e0-0000-7000-8000-000000000000' }],
          },
        ],
        'nodes[1].dependsOn[0] Expected',
      ],
      [[{ ref: 'a', queue: 'bad', payload: 1, idempotencyKey: 'k' }], 'nodes[0].idempotencyKey'],
      [
        [{ ref: 'a', queue: 'bad', payload: 1, onParentFailure: 'maybe' }],
        'nodes[0].onParentFailure',
      ],
      [[], 'nodes'],
    ];
    for (const [nodes, where] of cases) {
      const error = await queue.flow(nodes as FlowNode[]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect(`${(error as ValidationError).field} ${(error as Error).message}`).toContain(where);
    }
    const unknown = await queue
      .send('bad', 1, { dependsOn: ['0190f0e0-0000-7000-8000-000000000001'] })
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(ValidationError);
    expect((unknown as ValidationError).field).toBe('dependsOn[0]');
    expect(await jobCount()).toBe(before);
  });

  test('100,000 dependencies in one flow work; one more is refused with the limit', async () => {
    const parents = Array.from(
      { length: 1000 },
      (_, i): FlowNode => ({ ref: `p${i}`, queue: 'wide', payload: i }),
    );
    const refs = parents.map((p) => p.ref);
    const children = Array.from(
      { length: 100 },
      (_, i): FlowNode => ({ ref: `c${i}`, queue: 'wide-kids', payload: i, dependsOn: refs }),
    );
    const { ids } = await queue.flow([...parents, ...children]);
    const { rows } = await sql.query(
      'SELECT count(*)::int AS n FROM pgpulse.job_deps WHERE child = $1',
      [ids.c0],
    );
    expect(rows[0].n).toBe(1000);
    const before = await jobCount();
    const tooMany = [
      ...parents,
      ...children,
      { ref: 'one-more', queue: 'wide-kids', payload: null, dependsOn: ['p0'] },
    ];
    const error = await queue.flow(tooMany).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain('at most 100000 dependencies');
    expect(await jobCount()).toBe(before);
  });
});

describe('concurrent settlements', () => {
  test('a child linked in a transaction while its parent completes or dies is settled, never stranded', async () => {
    for (const outcome of ['completed', 'dead'] as const) {
      const parent = await queue.send('race', null, { maxAttempts: 1 });
      const [job] = await queue.claim('race');
      const client = await sql.connect();
      try {
        await client.query('BEGIN');
        const child = await queue.send('race-kids', null, { dependsOn: [parent.id], client });
        // The settlement waits for the transaction's lock on the parent...
        const settled =
          outcome === 'completed'
            ? queue.complete(job as never, null)
            : queue.fail(job as never, new Error('boom'));
        await waitFor(async () => {
          const { rows } = await sql.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          );
          return rows[0].n > 0;
        }, 'the settlement to wait for the lock');
        await client.query('COMMIT');
        await settled;
        // ...and then sees the child the transaction linked.
        expect(await stateOf(child.id)).toBe(outcome === 'completed' ? 'pending' : 'cancelled');
      } finally {
        client.release();
      }
    }
  });

  test('fan-in: 16 workers completing 10,000 parents release the child exactly once', async () => {
    const parents = Array.from(
      { length: 10_000 },
      (_, i): FlowNode => ({ ref: `p${i}`, queue: 'fan-in', payload: i }),
    );
    const { ids } = await queue.flow([
      ...parents,
      { ref: 'child', queue: 'fan-in-child', payload: null, dependsOn: parents.map((p) => p.ref) },
    ]);
    const child = ids.child as string;
    const queues = Array.from(
      { length: 4 },
      () => new Queue({ connectionString: db.url, poolSize: 6 }),
    );
    const runs = new Map<string, number>();
    const workers = queues.flatMap((q) =>
      Array.from({ length: 4 }, () =>
        q.work(
          'fan-in',
          async (job) => {
            runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
            return job.payload;
          },
          { concurrency: 4 },
        ),
      ),
    );
    let childRuns = 0;
    let unfinishedParentsAtStart = -1;
    const childWorker = queue.work('fan-in-child', async (job) => {
      childRuns += 1;
      const counts = await job.parentCounts();
      unfinishedParentsAtStart = counts.unsettled;
      return counts.completed;
    });
    try {
      await waitFor(
        async () => (await stateOf(child)) === 'completed',
        'the child completed',
        120_000,
      );
      expect(childRuns).toBe(1);
      expect(unfinishedParentsAtStart).toBe(0);
      expect((await queue.getJob(child))?.result).toBe(10_000);
      expect([...runs.values()].every((n) => n === 1)).toBe(true);
      const { rows } = await sql.query(
        `SELECT count(*) FILTER (WHERE outcome = 'completed')::int AS done, count(*)::int AS total
         FROM pgpulse.job_deps WHERE child = $1`,
        [child],
      );
      expect(rows[0]).toEqual({ done: 10_000, total: 10_000 });
    } finally {
      await Promise.all([...workers, childWorker].map((w) => w.stop()));
      await Promise.all(queues.map((q) => q.close()));
    }
  });

  test('16 workers on 1,000 children of 10 random parents each: every child runs once, after its parents', async () => {
    const parents = Array.from(
      { length: 300 },
      (_, i): FlowNode => ({ ref: `p${i}`, queue: 'mesh', payload: i }),
    );
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const children = Array.from({ length: 1000 }, (_, i): FlowNode => {
      const picked = new Set<string>();
      while (picked.size < 10) picked.add(`p${Math.floor(random() * 300)}`);
      return { ref: `c${i}`, queue: 'mesh', payload: -1, dependsOn: [...picked] };
    });
    const { ids, flowId } = await queue.flow([...parents, ...children]);
    const queues = Array.from(
      { length: 4 },
      () => new Queue({ connectionString: db.url, poolSize: 6 }),
    );
    const runs = new Map<string, number>();
    const workers = queues.flatMap((q) =>
      Array.from({ length: 4 }, () =>
        q.work(
          'mesh',
          (job) => {
            runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
          },
          { concurrency: 4 },
        ),
      ),
    );
    try {
      await waitFor(
        async () => (await queue.flows.get(flowId))?.finished === true,
        'the flow finished',
        120_000,
      );
      expect(runs.size).toBe(1300);
      expect([...runs.values()].every((n) => n === 1)).toBe(true);
      const { rows } = await sql.query(
        `SELECT count(*)::int AS early FROM pgpulse.job_deps AS d
         JOIN pgpulse.jobs AS c ON c.id = d.child JOIN pgpulse.jobs AS p ON p.id = d.parent
         WHERE c.flow_id = $1 AND c.started_at < p.finished_at`,
        [flowId],
      );
      expect(rows[0].early).toBe(0);
      expect(await stateOf(ids.c999 as string)).toBe('completed');
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await Promise.all(queues.map((q) => q.close()));
    }
  });
});
