import { expect, test } from 'vitest';
import { updateJobs, useTestQueue } from '../helpers/database.js';

// Retention and jobs_done's partitions: by default a completed or cancelled job leaves with its
// whole partition (kept at most one partition's width past its retention, no write per row);
// `wholePartitions: false` deletes each one as soon as its retention runs out. A database of its
// own: a stored policy of another queue would change which retention is the longest.

const { sql, queue } = await useTestQueue({ listen: false });

async function partitionOf(id: string): Promise<string | undefined> {
  const { rows } = await sql.query<{ part: string }>(
    'SELECT tableoid::regclass::text AS part FROM pgpulse.jobs_done WHERE id = $1',
    [id],
  );
  return rows[0]?.part;
}

/** A job of `name`, completed a minute ago. */
async function completedAMinuteAgo(name: string): Promise<string> {
  const { id } = await queue.send(name, {});
  const [job] = await queue.claim(name);
  if (job === undefined) throw new Error('nothing claimed');
  await queue.complete(job);
  await updateJobs(
    sql,
    `UPDATE pgpulse.jobs SET finished_at = now() - interval '1 minute' WHERE id = $1`,
    [id],
  );
  return id;
}

test('a job past its retention waits for its whole partition, unless wholePartitions is false', async () => {
  const { id } = await queue.send('whole', {});
  const [job] = await queue.claim('whole');
  if (job === undefined) throw new Error('nothing claimed');
  await queue.complete(job);
  await updateJobs(
    sql,
    `UPDATE pgpulse.jobs SET finished_at = now() - interval '1 minute' WHERE id = $1`,
    [id],
  );
  const part = await partitionOf(id);
  expect(part).toMatch(/^pgpulse\.jobs_done_\d{8}t\d{6}$/); // a ranged partition, not DEFAULT
  // Past its retention, but its partition's range is not: it stays, and no row was deleted.
  await queue.prune({ olderThanMs: 1000 });
  expect((await queue.getJob(id))?.state).toBe('completed');
  // Only this queue: no partition can go, so the pass deletes it one by one.
  await queue.prune({ olderThanMs: 1000, queue: 'whole', wholePartitions: true });
  expect(await queue.getJob(id)).toBeNull();
  const second = await queue.send('whole', {});
  const [again] = await queue.claim('whole');
  if (again === undefined) throw new Error('nothing claimed');
  await queue.complete(again);
  await updateJobs(
    sql,
    `UPDATE pgpulse.jobs SET finished_at = now() - interval '1 minute' WHERE id = $1`,
    [second.id],
  );
  await queue.prune({ olderThanMs: 1000, wholePartitions: false });
  expect(await queue.getJob(second.id)).toBeNull();
});

test('wholePartitions must be a boolean; nothing is pruned', async () => {
  await expect(queue.prune({ wholePartitions: 'yes' as never })).rejects.toMatchObject({
    name: 'ValidationError',
    field: 'wholePartitions',
  });
});

test('a queue whose stored retention is shorter than the longest loses its jobs one by one', async () => {
  await queue.queues.create('keeps-long', { retention: { completedMs: 10 * 86_400_000 } });
  await queue.queues.create('keeps-short', { retention: { completedMs: 1000 } });
  const short = await completedAMinuteAgo('keeps-short');
  const long = await completedAMinuteAgo('keeps-long');
  await queue.prune({ olderThanMs: 1000 });
  expect(await queue.getJob(short)).toBeNull();
  expect((await queue.getJob(long))?.state).toBe('completed');
});
