import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { Queue } from '../../src/index.js';
import { createTestDatabase } from '../helpers/database.js';
import { scratchDir } from '../helpers/scratch-dir.js';

const db = await createTestDatabase();
const queue = new Queue({ connectionString: db.url });
const smokeDir = scratchDir('pgpulse-smoke');
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

test('Queue.fromConfig connects with DATABASE_URL and takes options from a YAML file', async () => {
  const dir = smokeDir;
  const file = join(dir, 'pgpulse.yaml');
  writeFileSync(file, 'maxAttempts: 2\nlisten: false\n');
  const configured = Queue.fromConfig(undefined, { file, env: { DATABASE_URL: db.url } });
  try {
    expect(configured.options).toMatchObject({ maxAttempts: 2, listen: false });
    const { id } = await configured.send('configured', {});
    expect((await configured.getJob(id))?.maxAttempts).toBe(2);
  } finally {
    await configured.close();
  }
});
