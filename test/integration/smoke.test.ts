import { afterAll, expect, test } from 'vitest';
import { Queue } from '../../src/index.js';
import { createTestDatabase } from '../helpers/database.js';

const db = await createTestDatabase();
const queue = new Queue({ connectionString: db.url });
afterAll(async () => {
  await queue.close();
  await db.drop();
});

test('a job goes from send through claim to complete', async () => {
  const { id, duplicate } = await queue.send('smoke', { hello: 'world' });
  expect(duplicate).toBe(false);
  const [job] = await queue.claim('smoke');
  expect(job?.id).toBe(id);
  expect(job?.payload).toEqual({ hello: 'world' });
  if (job === undefined) throw new Error('no job');
  await queue.complete(job, { ok: true });
  const stored = await queue.getJob(id);
  expect(stored?.state).toBe('completed');
  expect(stored?.result).toEqual({ ok: true });
});
