import type pg from 'pg';
import { afterAll, expect, test } from 'vitest';
import { useTestQueue } from '../helpers/database.js';
import { waitFor } from '../helpers/wait.js';

const { sql, queue } = await useTestQueue({ listen: false });

// A completion announces the slot it frees only where a consumer may wait for one: a queue with a
// concurrency limit, or one with group limits. Elsewhere the call was the most expensive part
// of completing one job, for a notification nobody needed.
const listener: pg.PoolClient = await sql.connect();
const heard: { queue?: string; marker?: string }[] = [];
listener.on('notification', (message) => heard.push(JSON.parse(message.payload ?? '{}')));
await listener.query('LISTEN "pgpulse.jobs"');
afterAll(() => listener.release());

/** Completes one job of `name` and returns what the listener heard up to a marker sent after. */
async function heardAfterCompleting(name: string): Promise<string[]> {
  await queue.send(name, {});
  const [job] = await queue.claim(name);
  if (job === undefined) throw new Error('nothing claimed');
  // The send announced the job too, and that notice may still be on its way: wait it out first.
  await heardUpTo(`before-${name}`);
  heard.length = 0;
  await queue.complete(job);
  await heardUpTo(`after-${name}`);
  return heard.flatMap((notice) => (notice.queue === undefined ? [] : [notice.queue]));
}

/** Sends a marker and waits for it: notifications arrive in commit order, so whatever committed
 * before it has been heard by then. */
async function heardUpTo(marker: string): Promise<void> {
  await sql.query(`SELECT pg_notify('pgpulse.jobs', $1)`, [JSON.stringify({ marker })]);
  await waitFor(() => heard.some((notice) => notice.marker === marker), `the marker ${marker}`);
}

test('completing a job of a queue with a concurrency limit announces the freed slot', async () => {
  await queue.queues.upsert('capped-freed', { concurrencyLimit: 2 });
  expect(await heardAfterCompleting('capped-freed')).toEqual(['capped-freed']);
});

test('completing a job of a queue with group limits announces the freed slot', async () => {
  await queue.queues.upsert('grouped-freed', { groups: { concurrencyLimit: 1 } });
  expect(await heardAfterCompleting('grouped-freed')).toEqual(['grouped-freed']);
});

test('completing a job of a plain queue announces nothing', async () => {
  expect(await heardAfterCompleting('plain-freed')).toEqual([]);
  await queue.queues.upsert('settled-freed', { maxAttempts: 3 });
  expect(await heardAfterCompleting('settled-freed')).toEqual([]);
  await queue.queues.upsert('fair-freed', { fairTenants: true });
  expect(await heardAfterCompleting('fair-freed')).toEqual([]);
});
