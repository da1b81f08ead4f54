import { describe, expect, test } from 'vitest';
import { Queue } from '../../src/index.js';
import { updateJobs, useTestQueue } from '../helpers/database.js';
import { waitFor } from '../helpers/wait.js';

const { db, sql, queue } = await useTestQueue({ listen: false });

const DAY = 86_400_000;

/** Sends `count` jobs, completes them, and dates their finish `ageMs` back. */
async function finished(name: string, count: number, ageMs: number): Promise<string[]> {
  const sent = await queue.sendBatch(
    name,
    Array.from({ length: count }, (_, i) => ({ payload: i })),
  );
  for (const job of await queue.claim(name, { batchSize: count })) await queue.complete(job);
  const ids = sent.map((s) => s.id);
  await updateJobs(
    sql,
    `UPDATE pgpulse.jobs SET finished_at = now() - $2 * interval '1 millisecond' WHERE id = ANY($1)`,
    [ids, ageMs],
  );
  return ids;
}

async function where(id: string): Promise<'jobs' | 'archive' | 'gone'> {
  const job = await queue.getJob(id);
  if (job === null) return 'gone';
  return job.archived ? 'archive' : 'jobs';
}

describe('retention per queue', () => {
  test("each queue's stored policy decides how long its jobs stay and whether they are archived", async () => {
    await queue.queues.upsert('keep-long', { retention: { completedMs: 30 * DAY } });
    await queue.queues.upsert('archive-fast', {
      retention: { completedMs: DAY / 24, mode: 'archive' },
    });
    const [long] = await finished('keep-long', 1, 2 * DAY);
    const [fast] = await finished('archive-fast', 1, DAY / 12);
    const [fresh] = await finished('archive-fast', 1, 0);
    const [plain] = await finished('no-policy', 1, 2 * DAY);
    const result = await queue.prune({ olderThanMs: DAY });
    expect(result).toEqual({ deleted: 2, archived: 1, skipped: false, partitions: 0 });
    expect(await where(long as string)).toBe('jobs'); // its policy keeps it 30 days
    expect(await where(fast as string)).toBe('archive'); // its policy: archive after an hour
    expect(await where(fresh as string)).toBe('jobs');
    expect(await where(plain as string)).toBe('gone'); // the task's default: delete after a day
    const archived = await queue.getJob(fast as string);
    expect(archived).toMatchObject({ state: 'completed', queue: 'archive-fast', payload: 0 });
  });

  test('a policy that names some states leaves the others to the default', async () => {
    await queue.queues.upsert('dead-kept', { retention: { deadMs: 30 * DAY } });
    const { id: deadId } = await queue.send('dead-kept', {}, { maxAttempts: 1 });
    const [claimed] = await queue.claim('dead-kept');
    if (claimed === undefined) throw new Error('nothing claimed');
    await queue.fail(claimed, new Error('boom'), { retryable: false });
    const [done] = await finished('dead-kept', 1, 2 * DAY);
    await updateJobs(sql, `UPDATE pgpulse.jobs SET finished_at = now() - interval '2 days'`);
    await queue.prune({ olderThanMs: DAY, queue: 'dead-kept' });
    expect(await where(deadId)).toBe('jobs');
    expect(await where(done as string)).toBe('gone');
  });
});

describe('one process at a time', () => {
  test('a pass finds another process leading and skips; once free, it prunes', async () => {
    const [id] = await finished('leader', 1, 2 * DAY);
    const other = await sql.connect();
    try {
      await other.query(
        `SELECT pg_advisory_lock(hashtextextended('pgpulse.retention.pgpulse', 0))`,
      );
      expect(await queue.prune({ olderThanMs: DAY })).toEqual({
        deleted: 0,
        archived: 0,
        skipped: true,
        partitions: 0,
      });
      expect(await where(id as string)).toBe('jobs');
      await other.query(
        `SELECT pg_advisory_unlock(hashtextextended('pgpulse.retention.pgpulse', 0))`,
      );
    } finally {
      other.release();
    }
    expect((await queue.prune({ olderThanMs: DAY })).skipped).toBe(false);
    expect(await where(id as string)).toBe('gone');
  });

  test('concurrent passes from several queues: exactly one prunes each job', async () => {
    await finished('crowd', 50, 2 * DAY);
    const queues = Array.from({ length: 4 }, () => new Queue({ connectionString: db.url }));
    try {
      const results = await Promise.all(queues.map((q) => q.prune({ olderThanMs: DAY })));
      expect(results.reduce((sum, r) => sum + r.deleted, 0)).toBe(50);
      expect((await queue.stats('crowd')).counts.completed).toBe(0);
    } finally {
      await Promise.all(queues.map((q) => q.close()));
    }
  });

  test('started, a retention task prunes on its interval', async () => {
    const [id] = await finished('interval', 1, 2 * DAY);
    const retention = queue.retention({ olderThanMs: DAY, intervalMs: 20 }).start();
    try {
      await waitFor(async () => (await where(id as string)) === 'gone', 'a pass to prune it');
    } finally {
      await retention.stop();
    }
  });
});
