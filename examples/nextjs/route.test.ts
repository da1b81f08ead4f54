import { createTestDatabase, type TestDatabase } from 'pgpulse/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { getQueue } from './queue.js';
import { POST } from './route.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  process.env.DATABASE_URL = db.url; // read by getQueue() at its first call
});

afterAll(async () => {
  await getQueue().close();
  await db?.drop();
});

function post(body: unknown): Promise<Response> {
  return POST(
    new Request('http://localhost/api/signups', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  );
}

test('the route sends a welcome job and answers 202 with its id', async () => {
  const response = await post({ email: 'ada@example.com' });
  expect(response.status).toBe(202);
  const { jobId } = (await response.json()) as { jobId: string };
  expect(await getQueue().getJob(jobId)).toMatchObject({
    name: 'welcome',
    state: 'pending',
    payload: { to: 'ada@example.com' },
  });
});

test('every evaluation of the module shares one queue', () => {
  expect(getQueue()).toBe(getQueue());
});

test('bad input is a 400, and a ValidationError of pgpulse one too; nothing is sent', async () => {
  expect((await post({})).status).toBe(400);
  expect((await post({ email: 'nul\u0000@example.com' })).status).toBe(400);
  expect(await getQueue().listJobs('emails')).toHaveLength(1);
});
