import { createTestDatabase, type TestDatabase, waitForJob } from 'pgpulse/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { EMAILS, type Mailer } from '../shared/jobs.js';
import { type Running, start } from './server.js';

// The Express example as a user would test it: a fresh database, the app over HTTP, the job it
// sent worked by the real handler with a fake mailer, and a graceful stop.
let db: TestDatabase;
let app: Running;
let base: string;
const sent: string[] = [];
const mailer: Mailer = {
  async send(to) {
    sent.push(to);
    return { messageId: `m-${sent.length}` };
  },
};

beforeAll(async () => {
  db = await createTestDatabase();
  const { Client } = (await import('pg')).default;
  const client = new Client({ connectionString: db.url });
  await client.connect();
  await client.query('CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE NOT NULL)');
  await client.end();
  app = await start({ connectionString: db.url, mailer, port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening');
  base = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await app?.close();
  await db?.drop();
});

async function signUp(email: unknown): Promise<Response> {
  return fetch(`${base}/signups`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email }),
  });
}

test('a sign-up sends a welcome job, and the worker mails it', async () => {
  const response = await signUp('ada@example.com');
  expect(response.status).toBe(202);
  const { jobId } = (await response.json()) as { jobId: string };
  // The app's own worker runs it: wait for that, never for a fixed time.
  const job = await waitForJob(app.queue, jobId, 'completed');
  expect(job).toMatchObject({ name: 'welcome', payload: { to: 'ada@example.com' } });
  expect(job.result).toEqual({ messageId: expect.any(String) });
  expect(sent).toContain('ada@example.com');
});

test('a taken email is a 409 and sends nothing; bad input is a 400', async () => {
  await signUp('bob@example.com');
  const before = (await app.queue.listJobs(EMAILS)).length;
  expect((await signUp('bob@example.com')).status).toBe(409);
  expect((await signUp(42)).status).toBe(400);
  expect((await app.queue.listJobs(EMAILS)).length).toBe(before);
});
