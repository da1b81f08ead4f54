import { expect, test } from 'vitest';
import { ValidationError } from '../../src/index.js';
import { useTestQueue } from '../helpers/database.js';

// Regression: a payload nested 10,000 or 100,000 levels deep (arrays or objects) made `send`
// throw `RangeError: Maximum call stack size exceeded` instead of a ValidationError. The JSON
// check recursed once per level, and past its depth limit a recursive cycle check went through
// all the remaining levels. Results passed to `complete` went through the same code.

const { sql, queue } = await useTestQueue({ listen: false });

async function jobCount(): Promise<number> {
  const { rows } = await sql.query('SELECT count(*)::int AS n FROM pgpulse.all_jobs');
  return rows[0].n;
}

function deepArray(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

function deepObject(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

test.each([
  ['10,000 nested arrays', deepArray(10_000)],
  ['100,000 nested arrays', deepArray(100_000)],
  ['10,000 nested objects', deepObject(10_000)],
  ['100,000 nested objects', deepObject(100_000)],
])(
  '%s: send and sendBatch refuse it with a ValidationError, writing nothing',
  async (_what, payload) => {
    const before = await jobCount();
    const sent = await queue.send('deep', payload).catch((e: unknown) => e);
    expect(sent).toBeInstanceOf(ValidationError);
    expect(sent).toMatchObject({ field: 'payload' });
    expect((sent as Error).message).toContain('nested at most 100 levels deep');
    const batch = await queue
      .sendBatch('deep', [{ payload: 1 }, { payload }])
      .catch((e: unknown) => e);
    expect(batch).toBeInstanceOf(ValidationError);
    expect(batch).toMatchObject({ field: 'items[1].payload' });
    expect(await jobCount()).toBe(before);
  },
);

test('a result nested 100,000 levels deep is refused and the job can still be completed', async () => {
  const { id } = await queue.send('deep-result', {});
  const [job] = await queue.claim('deep-result');
  if (job === undefined) throw new Error('no job claimed');
  const refused = await queue.complete(job, deepObject(100_000)).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(ValidationError);
  expect(refused).toMatchObject({ field: 'result' });
  expect((await queue.getJob(id))?.state).toBe('running');
  await queue.complete(job, 'done');
  expect((await queue.getJob(id))?.state).toBe('completed');
});
