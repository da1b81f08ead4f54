import { describe, expect, test } from 'vitest';
import { updateJobs, useTestQueue } from '../helpers/database.js';

// Finished jobs leave the hot table (migration 0013): completed and cancelled ones move to
// jobs_done, partitioned by finished_at, and retention drops whole partitions.

const { sql, queue } = await useTestQueue({ listen: false });

async function partitionOf(id: string): Promise<string | undefined> {
  const { rows } = await sql.query<{ part: string }>(
    'SELECT tableoid::regclass::text AS part FROM pgpulse.jobs_done WHERE id = $1',
    [id],
  );
  return rows[0]?.part;
}

async function partitions(): Promise<string[]> {
  const { rows } = await sql.query<{ name: string }>(`
    SELECT c.relname AS name FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'pgpulse.jobs_done'::regclass ORDER BY 1`);
  return rows.map((row) => row.name);
}

describe('the hot table holds what may still run', () => {
  test('a completed job moves to the partition of its finish; a pending one stays', async () => {
    const [done, waiting] = await queue.sendBatch('moves', [{ payload: 1 }, { payload: 2 }]);
    const [job] = await queue.claim('moves');
    if (job === undefined || done === undefined || waiting === undefined) throw new Error('setup');
    await queue.complete(job, 'ok');
    const { rows } = await sql.query('SELECT id, state FROM pgpulse.jobs WHERE queue = $1', [
      'moves',
    ]);
    expect(rows).toEqual([{ id: waiting.id, state: 'pending' }]);
    expect(await partitionOf(done.id)).toMatch(/^pgpulse\.jobs_done_\d{8}t\d{6}$/);
    // Still found, with everything it had.
    expect(await queue.getJob(done.id)).toMatchObject({ state: 'completed', result: 'ok' });
    expect((await queue.stats('moves')).counts).toMatchObject({ pending: 1, completed: 1 });
    expect((await queue.listJobs('moves', { states: ['completed'] })).map((j) => j.id)).toEqual([
      done.id,
    ]);
  });

  test('a cancelled job moves too; cancelling it again says it was cancelled', async () => {
    const { id } = await queue.send('moves-cancel', {});
    expect(await queue.cancel(id)).toEqual({ id, previousState: 'pending' });
    expect(await partitionOf(id)).toBeDefined();
    expect(await queue.cancel(id)).toEqual({ id, previousState: 'cancelled' });
  });

  test('a job that retains its key stays in the hot table, where its key is enforced', async () => {
    const { id } = await queue.send('moves-keyed', {}, { idempotencyKey: 'k', retainKey: true });
    const [job] = await queue.claim('moves-keyed');
    if (job === undefined) throw new Error('nothing claimed');
    await queue.complete(job);
    expect(await partitionOf(id)).toBeUndefined();
    const again = await queue.send('moves-keyed', {}, { idempotencyKey: 'k', retainKey: true });
    expect(again).toMatchObject({ id, duplicate: true });
  });

  test('a completion refused after the move reports the job as completed', async () => {
    const { id } = await queue.send('moves-twice', {});
    const [job] = await queue.claim('moves-twice');
    if (job === undefined) throw new Error('nothing claimed');
    await queue.complete(job);
    const error = await queue.complete(job).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PGPULSE_LEASE_LOST', state: 'completed', jobId: id });
  });
});

describe('retention drops whole partitions', () => {
  test('a partition whose range is past every policy is dropped, its archive-mode rows copied', async () => {
    await sql.query(`CREATE TABLE pgpulse.jobs_done_old PARTITION OF pgpulse.jobs_done
                     FOR VALUES FROM ('2020-01-01 00:00+00') TO ('2020-01-02 00:00+00')`);
    await queue.queues.create('old-archived', { retention: { mode: 'archive' } });
    const sent = [
      ...(await queue.sendBatch('old-deleted', [{ payload: 1 }, { payload: 2 }])),
      ...(await queue.sendBatch('old-archived', [{ payload: 3 }])),
    ];
    for (const name of ['old-deleted', 'old-archived']) {
      for (const job of await queue.claim(name, { batchSize: 5 })) await queue.complete(job);
    }
    await updateJobs(
      sql,
      `UPDATE pgpulse.jobs SET finished_at = '2020-01-01 12:00+00' WHERE id = ANY($1)`,
      [sent.map((s) => s.id)],
    );
    expect(await partitionOf(sent[0]?.id as string)).toBe('pgpulse.jobs_done_old');

    const result = await queue.prune({ olderThanMs: 86_400_000 });
    expect(result).toMatchObject({ partitions: 1, deleted: 3, archived: 1, skipped: false });
    expect(await partitions()).not.toContain('jobs_done_old');
    const states = await Promise.all(sent.map(async (s) => (await queue.getJob(s.id))?.archived));
    expect(states).toEqual([undefined, undefined, true]); // two gone, one archived
  });

  test('a queue keeping its jobs longer holds the partition until its policy allows', async () => {
    await sql.query(`CREATE TABLE pgpulse.jobs_done_kept PARTITION OF pgpulse.jobs_done
                     FOR VALUES FROM ('2021-01-01 00:00+00') TO ('2021-01-02 00:00+00')`);
    await queue.queues.create('keeps-long', { retention: { completedMs: 100 * 365 * 86_400_000 } });
    const { id } = await queue.send('keeps-long', {});
    const [job] = await queue.claim('keeps-long');
    if (job === undefined) throw new Error('nothing claimed');
    await queue.complete(job);
    await updateJobs(
      sql,
      `UPDATE pgpulse.jobs SET finished_at = '2021-01-01 12:00+00' WHERE id = $1`,
      [id],
    );
    expect((await queue.prune({ olderThanMs: 86_400_000 })).partitions).toBe(0);
    expect(await partitions()).toContain('jobs_done_kept');
    expect((await queue.getJob(id))?.state).toBe('completed');
  });

  test('partitions ahead are kept by the sweeper; a new width applies past those that exist', async () => {
    // Hourly from now on, 100 hours ahead: the daily partitions made so far (4 days) stay, and
    // hourly ones follow them.
    await sql.query(`UPDATE pgpulse.partitioning
                     SET partition_interval = interval '1 hour', ahead = 100, ready_until = '-infinity'`);
    const before = await partitions();
    await queue.reclaimExpired(); // a sweeper pass
    const made = (await partitions()).filter((name) => !before.includes(name));
    expect(made.length).toBeGreaterThan(0);
    expect(made.every((name) => /^jobs_done_\d{8}t\d{2}0000$/.test(name))).toBe(true);
    const { rows } = await sql.query(
      'SELECT ready_until > now() AS ahead FROM pgpulse.partitioning',
    );
    expect(rows[0].ahead).toBe(true);
  });
});

test('jobs and jobs_done have the same columns, in the same order', async () => {
  const columns = async (table: string) =>
    (
      await sql.query<{ name: string; type: string }>(
        `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
         WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
        [table],
      )
    ).rows;
  expect(await columns('pgpulse.jobs_done')).toEqual(await columns('pgpulse.jobs'));
});
