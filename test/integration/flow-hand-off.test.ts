import { describe, expect, test } from 'vitest';
import type { JobContext } from '../../src/index.js';
import { useTestQueue } from '../helpers/database.js';
import { waitFor } from '../helpers/wait.js';

// Hand-off (migration 0020): the statement that completes a child's last parent leases the child
// to the completing worker when it is first in line, so the child starts without a claim of its
// own. Both rows then carry the completing transaction's id (xmin) while the child runs: the
// parent was completed in place (a job of a flow stays in jobs) and the child leased by it.

const { sql, queue } = await useTestQueue({ poolSize: 6 });

/** Whether the child, while running, was last written by the transaction that completed `parent`. */
async function sameTransaction(parent: string, child: string): Promise<boolean> {
  const { rows } = await sql.query(
    `SELECT (SELECT xmin::text FROM pgpulse.jobs WHERE id = $1)
          = (SELECT xmin::text FROM pgpulse.jobs WHERE id = $2) AS same`,
    [parent, child],
  );
  return rows[0].same === true;
}

/**
 * Runs a flow of two jobs (`b` after `a`) in `name` on a worker of one slot, calling `also` in
 * each handler: the order the jobs ran in, and whether `b` was handed off by `a`'s completion.
 */
async function runPair(
  name: string,
  also: (job: JobContext<string>, pair: { a: string; b: string }) => Promise<void> = async () =>
    undefined,
) {
  const flow = await queue.flow([
    { ref: 'a', queue: name, payload: 'a' },
    { ref: 'b', queue: name, payload: 'b', dependsOn: ['a'] },
  ]);
  const ids = { a: flow.ids.a as string, b: flow.ids.b as string };
  const order: string[] = [];
  const handedOff: boolean[] = [];
  const worker = queue.work(
    name,
    async (job: JobContext<string>) => {
      order.push(job.id);
      await also(job, ids);
      if (job.id === ids.b) handedOff.push(await sameTransaction(ids.a, job.id));
    },
    { concurrency: 1 },
  );
  try {
    await waitFor(
      async () => (await queue.getJob(ids.b))?.state === 'completed',
      'the child completed',
    );
  } finally {
    await worker.stop();
  }
  return { ids, order, handedOff };
}

describe('a completing worker starts the child its job released', () => {
  test('a chain runs on the completing worker, each child leased by its parent’s completion', async () => {
    const { ids } = await queue.flow([
      { ref: 'a', queue: 'handoff', payload: 'a' },
      { ref: 'b', queue: 'handoff', payload: 'b', dependsOn: ['a'] },
      { ref: 'c', queue: 'handoff', payload: 'c', dependsOn: ['b'] },
    ]);
    const seen: { id: string; handedOff: boolean | null; worker: string }[] = [];
    const parentOf = new Map([
      [ids.b as string, ids.a as string],
      [ids.c as string, ids.b as string],
    ]);
    const worker = queue.work(
      'handoff',
      async (job: JobContext<string>) => {
        const parent = parentOf.get(job.id);
        seen.push({
          id: job.id,
          handedOff: parent === undefined ? null : await sameTransaction(parent, job.id),
          worker: job.workerId,
        });
      },
      { concurrency: 1 },
    );
    try {
      await waitFor(
        async () => (await queue.getJob(ids.c as string))?.state === 'completed',
        'the chain completed',
      );
      expect(seen.map((s) => s.id)).toEqual([ids.a, ids.b, ids.c]);
      expect(seen.map((s) => s.handedOff)).toEqual([null, true, true]);
      expect(new Set(seen.map((s) => s.worker)).size).toBe(1);
      const { rows } = await sql.query(
        `SELECT count(*)::int AS early FROM pgpulse.job_deps AS d
         JOIN pgpulse.jobs AS c ON c.id = d.child JOIN pgpulse.jobs AS p ON p.id = d.parent
         WHERE c.id = ANY ($1) AND (c.started_at < p.finished_at OR c.attempts <> 1)`,
        [[ids.b, ids.c]],
      );
      expect(rows[0].early).toBe(0);
    } finally {
      await worker.stop();
    }
  });

  test('a child not first in line is left to the claims: a job ahead of it runs first', async () => {
    let ahead = '';
    const { ids, order, handedOff } = await runPair('inline', async (job, pair) => {
      if (job.id === pair.a) {
        // Sent while `a` runs, before `b` is released, with a higher priority than `b`'s.
        ahead = (await queue.send('inline', 'ahead', { priority: -1 })).id;
      }
    });
    expect(order).toEqual([ids.a, ahead, ids.b]);
    expect(handedOff).toEqual([false]);
  });

  test('a queue with a concurrency limit is claimed through its budget only: no hand-off', async () => {
    await queue.queues.upsert('limited', { concurrencyLimit: 2 });
    const { handedOff } = await runPair('limited');
    expect(handedOff).toEqual([false]);
  });
});
