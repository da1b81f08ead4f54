import { afterAll, beforeEach, expect, test } from 'vitest';
import type { JobEvent } from '../../src/index.js';
import { decodeJobsNotice } from '../../src/notify/jobs-channel.js';
import { useTestQueue } from '../helpers/database.js';
import { type Recorder, recordNotifications } from '../helpers/notifications.js';
import { waitFor } from '../helpers/wait.js';

const { db, sql, queue } = await useTestQueue();
const recorder: Recorder = await recordNotifications(db.url, 'pgpulse.jobs');
afterAll(() => recorder.close()); // before the queue and database go (hooks run in reverse)
beforeEach(async () => {
  await recorder.barrier();
  recorder.received.length = 0;
});

// An INSERT from outside pgpulse (psql, another language) cannot say its queues without the
// per-row capture that made every send slow (migration 0014): it sends one broadcast per
// statement, which wakes every consumer of the schema.
test('a raw SQL insert sends exactly one notification per statement, whatever its queues', async () => {
  await sql.query(`
    INSERT INTO pgpulse.jobs (queue, payload)
    VALUES ('mail', '{}'), ('mail', '{}'), ('mail', '{}'), ('sms', '{"to": "+1"}')`);
  await recorder.barrier();
  expect(recorder.received).toMatchObject([{ any: true }]);
  expect(recorder.received.map(decodeJobsNotice)).toEqual([{ kind: 'any' }]);
});

test('two statements send two notifications', async () => {
  await sql.query(`INSERT INTO pgpulse.jobs (queue) VALUES ('mail')`);
  await sql.query(`INSERT INTO pgpulse.jobs (queue) VALUES ('mail'), ('mail')`);
  await recorder.barrier();
  expect(recorder.received).toMatchObject([{ any: true }, { any: true }]);
});

test("pgpulse's own sends announce each queue with its count and earliest run time", async () => {
  await queue.sendBatch('mail', [{ payload: 1 }, { payload: 2 }, { payload: 3 }]);
  await queue.send('sms', { to: '+1' });
  await recorder.barrier();
  expect(recorder.received).toMatchObject([
    { queue: 'mail', count: 3 },
    { queue: 'sms', count: 1 },
  ]);
});

test('two equal statements in one transaction are not collapsed into one', async () => {
  const client = await sql.connect();
  try {
    await client.query('BEGIN');
    await client.query(`INSERT INTO pgpulse.jobs (queue) VALUES ('mail')`);
    await client.query(`INSERT INTO pgpulse.jobs (queue) VALUES ('mail')`);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  await recorder.barrier();
  expect(recorder.received).toHaveLength(2);
});

test('jobs sent in a finished state, or refused, wake nobody', async () => {
  const error = await queue
    .send('mail', {}, { idempotencyKey: 'once', onDuplicate: 'reject' })
    .then(() => queue.send('mail', {}, { idempotencyKey: 'once', onDuplicate: 'reject' }))
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  await recorder.barrier();
  // The first send announced its job; the refused one, rolled back, nothing.
  expect(recorder.received).toMatchObject([{ queue: 'mail', count: 1 }]);
});

test('a batch of 10,000 jobs is one statement: one notification carrying the count', async () => {
  const items = Array.from({ length: 10_000 }, (_, i) => ({ payload: { i } }));
  const results = await queue.sendBatch('bulk', items);
  expect(results).toHaveLength(10_000);
  expect(new Set(results.map((r) => r.id)).size).toBe(10_000);
  await recorder.barrier();
  expect(recorder.received).toMatchObject([{ queue: 'bulk', count: 10_000 }]);
  const { rows } = await sql.query(
    `SELECT count(*)::int AS n FROM pgpulse.all_jobs WHERE queue = 'bulk'`,
  );
  expect(rows[0].n).toBe(10_000);
});

test('a delayed job announces its run_at so an idle worker can arm a timer', async () => {
  const { id } = await queue.send('later', {}, { delayMs: 60_000 });
  await recorder.barrier();
  const { rows } = await sql.query(
    'SELECT floor(extract(epoch FROM run_at) * 1000)::float8 AS ms FROM pgpulse.all_jobs WHERE id = $1',
    [id],
  );
  expect(recorder.received).toMatchObject([{ queue: 'later', count: 1, runAt: rows[0].ms }]);
});

test("a job sent in the caller's transaction notifies only when it commits", async () => {
  const client = await sql.connect();
  try {
    await client.query('BEGIN');
    const { id } = await queue.send('tx', { n: 1 }, { client });
    await recorder.barrier();
    expect(recorder.received).toEqual([]);
    await client.query('COMMIT');
    await recorder.barrier();
    expect(recorder.received).toMatchObject([{ queue: 'tx', count: 1 }]);
    expect((await queue.getJob(id))?.state).toBe('pending');
  } finally {
    client.release();
  }
});

test('a job sent in a rolled-back transaction does not exist and never notified', async () => {
  const client = await sql.connect();
  let id: string;
  try {
    await client.query('BEGIN');
    ({ id } = await queue.send('tx', { n: 2 }, { client }));
    await client.query('ROLLBACK');
  } finally {
    client.release();
  }
  await recorder.barrier();
  expect(recorder.received).toEqual([]);
  expect(await queue.getJob(id)).toBeNull();
});

test('a retried, released or reclaimed job is announced again', async () => {
  await queue.sendBatch('again', [{ payload: 1 }, { payload: 2 }, { payload: 3 }]);
  const [a, b, c] = await queue.claim('again', { batchSize: 3, leaseMs: 1 });
  if (a === undefined || b === undefined || c === undefined) throw new Error('claim failed');
  await recorder.barrier();
  recorder.received.length = 0;
  await queue.fail(a, new Error('try again'));
  await queue.release(b);
  await sql.query(
    "UPDATE pgpulse.jobs SET lease_expires_at = now() - interval '1 second' WHERE id = $1",
    [c.id],
  );
  await queue.reclaimExpired();
  await recorder.barrier();
  expect(recorder.received).toHaveLength(3);
  expect(recorder.received).toMatchObject([
    { queue: 'again', count: 1 },
    { queue: 'again', count: 1 },
    { queue: 'again', count: 1 },
  ]);
});

// The jobs channel's protocol: each kind of notice is sent by a function of the schema and
// decoded by decodeJobsNotice; here both ends meet through PostgreSQL.
test('every notice the schema sends on the jobs channel decodes to its kind', async () => {
  const id = '0193c5f2-6a4e-7d1c-9b0a-3f1e2d4c5b6a';
  await sql.query(`SELECT pgpulse.announce('mail', 3, '2030-01-01T00:00:00Z')`);
  await sql.query(`SELECT pgpulse.announce('mail', 1, NULL)`);
  await sql.query('SELECT pgpulse.announce_cancel($1, $2)', [id, 'mail']);
  await sql.query(`SELECT pgpulse.announce_control('mail')`);
  await recorder.barrier();
  expect(recorder.received.map(decodeJobsNotice)).toEqual([
    { kind: 'pending', queue: 'mail', count: 3, runAt: Date.parse('2030-01-01T00:00:00Z') },
    { kind: 'pending', queue: 'mail', count: 1, runAt: null },
    { kind: 'cancel', id, queue: 'mail' },
    { kind: 'control', queue: 'mail' },
  ]);
  // What is not the protocol decodes to nothing, whoever sent it.
  expect([null, 'text', 42, { probe: 'x' }, { cancel: 7 }].map(decodeJobsNotice)).toEqual([
    null,
    null,
    null,
    null,
    null,
  ]);
});

test('a plain INSERT from outside pgpulse wakes an idle worker, its event goes out, its tenant is filed', async () => {
  await queue.queues.create('raw-fair', { fairTenants: true });
  const seen: string[] = [];
  const events: JobEvent[] = [];
  const subscription = queue.events('raw-fair').subscribe((event) => events.push(event));
  const worker = queue.work('raw-fair', async (job) => void seen.push(job.id), {
    pollIntervalMs: 3_600_000, // only a notification can wake it
  });
  try {
    await worker.ready;
    await waitFor(async () => {
      const { rows } = await sql.query('SELECT count(*)::int AS n FROM pgpulse.event_watchers');
      return rows[0].n > 0;
    }, 'the event watcher');
    const { rows } = await sql.query(
      `INSERT INTO pgpulse.jobs (queue, payload) VALUES ('raw-fair', '{}') RETURNING id, tenant`,
    );
    expect(rows[0].tenant).toBe(''); // filed for the fair walk
    await waitFor(() => seen.length === 1, 'the worker to run the job');
    expect(seen).toEqual([rows[0].id]);
    await waitFor(
      () => events.some((e) => e.type === 'enqueued' && e.id === rows[0].id),
      'its enqueued event',
    );
  } finally {
    subscription.unsubscribe();
    await worker.stop();
  }
});
