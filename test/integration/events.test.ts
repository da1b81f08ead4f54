import pg from 'pg';
import { afterAll, expect, test } from 'vitest';
import { type JobEvent, NonRetryableError, Queue } from '../../src/index.js';
import { createTestDatabase } from '../helpers/database.js';
import { recordNotifications } from '../helpers/notifications.js';
import { waitFor } from '../helpers/wait.js';

const db = await createTestDatabase();
const sql = new pg.Pool({ connectionString: db.url });
// Two queue objects stand for two processes: one watches, the other does the work.
const watcher = new Queue({ connectionString: db.url });
const producer = new Queue({ connectionString: db.url });
afterAll(async () => {
  await watcher.close();
  await producer.close();
  await sql.end();
  await db.drop();
});

async function watchers(): Promise<number> {
  const { rows } = await sql.query('SELECT count(*)::int AS n FROM pgpulse.event_watchers');
  return rows[0].n;
}

test('events of every lifecycle step arrive from another process, in order, for one queue', async () => {
  const seen: JobEvent[] = [];
  const subscription = watcher.events('evented').subscribe((event) => seen.push(event));
  try {
    await waitFor(async () => (await watchers()) === 1, 'the watcher to register');
    const ok = await producer.send('evented', { n: 1 });
    const bad = await producer.send(
      'evented',
      { n: 2 },
      { maxAttempts: 2, backoff: { type: 'fixed', delayMs: 0 } },
    );
    const gone = await producer.send('evented', { n: 3 }, { delayMs: 60_000 });
    await producer.send('other-queue', {});
    await producer.cancel(gone.id);
    const worker = producer.work<{ n: number }>('evented', async (job) => {
      if (job.payload.n === 2 && job.attempts === 1) throw new Error('first try fails');
      if (job.payload.n === 2) throw new NonRetryableError('then gives up');
      return 'ok';
    });
    try {
      await waitFor(() => seen.filter((e) => e.type === 'dead').length === 1, 'the dead event');
      await waitFor(() => seen.some((e) => e.type === 'completed'), 'the completed event');
    } finally {
      await worker.stop();
    }
    const of = (id: string) => seen.filter((e) => e.id === id).map((e) => e.type);
    expect(of(ok.id)).toEqual(['enqueued', 'started', 'completed']);
    expect(of(bad.id)).toEqual([
      'enqueued',
      'started',
      'failed',
      'retried',
      'started',
      'failed',
      'dead',
    ]);
    expect(of(gone.id)).toEqual(['enqueued', 'cancelled']);
    expect(seen.every((e) => e.queue === 'evented')).toBe(true);
    const failed = seen.find((e) => e.id === bad.id && e.type === 'failed');
    expect(failed).toMatchObject({ attempt: 1, error: 'first try fails' });
    expect(failed?.at).toBeInstanceOf(Date);
  } finally {
    subscription.unsubscribe();
  }
  await waitFor(async () => (await watchers()) === 0, 'the watcher to unregister');
});

test('with nobody watching, statements send no events at all', async () => {
  const raw = await recordNotifications(db.url, 'pgpulse.events');
  try {
    expect(await watchers()).toBe(0);
    await producer.send('quiet', {});
    const [job] = await producer.claim('quiet');
    if (job === undefined) throw new Error('claim');
    await producer.complete(job);
    await raw.barrier();
    expect(raw.received).toEqual([]);
  } finally {
    await raw.close();
  }
});

test('a big batch is split into notifications that fit the 8000-byte limit', async () => {
  const raw = await recordNotifications(db.url, 'pgpulse.events');
  const subscription = watcher.events().subscribe();
  try {
    await waitFor(async () => (await watchers()) === 1, 'the watcher to register');
    await producer.sendBatch(
      'bulk-events',
      Array.from({ length: 500 }, (_, i) => ({ payload: i })),
    );
    await raw.barrier();
    const chunks = raw.received as unknown[][];
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.flat()).toHaveLength(500);
  } finally {
    subscription.unsubscribe();
    await raw.close();
  }
});
