import type { FastifyInstance } from 'fastify';
import { Queue, QueueClosedError } from 'pgpulse';
import { createTestDatabase, type TestDatabase, waitForJob } from 'pgpulse/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Mailer } from '../shared/jobs.js';
import { buildApp } from './app.js';

let db: TestDatabase;
let queue: Queue;
let app: FastifyInstance;
let closed = false;
const mailer: Mailer = { send: async (to) => ({ messageId: `to ${to}` }) };

beforeAll(async () => {
  db = await createTestDatabase();
  queue = new Queue({ connectionString: db.url });
  app = await buildApp(queue, mailer);
});

afterAll(async () => {
  if (app !== undefined && !closed) await app.close();
  await db?.drop();
});

test('a sign-up sends a welcome job, which the worker completes', async () => {
  const response = await app.inject({
    method: 'POST',
    url: '/signups',
    payload: { email: 'ada@example.com' },
  });
  expect(response.statusCode).toBe(202);
  const job = await waitForJob(queue, response.json<{ jobId: string }>().jobId, 'completed');
  expect(job.result).toEqual({ messageId: 'to ada@example.com' });
});

test('bad input is a 400 and sends nothing', async () => {
  const response = await app.inject({ method: 'POST', url: '/signups', payload: {} });
  expect(response.statusCode).toBe(400);
});

test('closing the app closes the queue (its onClose hook)', async () => {
  await app.close();
  closed = true;
  await expect(queue.send('emails', {})).rejects.toBeInstanceOf(QueueClosedError);
});
