import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type Queue, QueueClosedError } from 'pgpulse';
import { createTestDatabase, type TestDatabase, waitForJob } from 'pgpulse/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Mailer } from '../shared/jobs.js';
import { AppModule } from './app.module.js';
import { SignupsService } from './emails.js';
import { QUEUE } from './pgpulse.module.js';

let db: TestDatabase;
let app: INestApplicationContext;
let closed = false;
const mailer: Mailer = { send: async (to) => ({ messageId: `to ${to}` }) };

beforeAll(async () => {
  db = await createTestDatabase();
  app = await NestFactory.createApplicationContext(
    AppModule.create({ connectionString: db.url }, mailer),
    { logger: false },
  );
  await app.init();
});

afterAll(async () => {
  if (app !== undefined && !closed) await app.close();
  await db?.drop();
});

test('a service sends a job through the injected queue, and the worker completes it', async () => {
  const id = await app.get(SignupsService).signUp('ada@example.com');
  const job = await waitForJob(app.get<Queue>(QUEUE), id, 'completed');
  expect(job.result).toEqual({ messageId: 'to ada@example.com' });
});

test('closing the application stops the worker and closes the queue', async () => {
  const queue = app.get<Queue>(QUEUE);
  await app.close();
  closed = true;
  await expect(queue.send('emails', {})).rejects.toBeInstanceOf(QueueClosedError);
});
