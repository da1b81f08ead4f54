import { expect, test } from 'vitest';
import { ValidationError } from '../../src/index.js';
import { useTestQueue } from '../helpers/database.js';

// Regression: any valid Date was accepted as `runAt`, so dates PostgreSQL's timestamptz cannot
// take reached the database: `new Date(8.64e15)` and `new Date(-8.64e15)` failed with
// `DatabaseError 22009 time zone displacement out of range` (their ISO text has a six-digit
// year), year 0 with `22008 date/time field value out of range`. runAt is now years 1 to 9999.

const { sql, queue } = await useTestQueue({ listen: false });

async function jobCount(): Promise<number> {
  const { rows } = await sql.query('SELECT count(*)::int AS n FROM pgpulse.all_jobs');
  return rows[0].n;
}

test.each([
  ['new Date(8.64e15)', new Date(8.64e15)],
  ['new Date(-8.64e15)', new Date(-8.64e15)],
  ['year 0', new Date('0000-01-01T00:00:00.000Z')],
  ['year -1', new Date('-000001-01-01T00:00:00.000Z')],
  ['year 10000', new Date('+010000-01-01T00:00:00.000Z')],
])(
  'runAt %s is a ValidationError naming the field, and nothing is written',
  async (_what, runAt) => {
    const before = await jobCount();
    const sent = await queue.send('dates', {}, { runAt }).catch((e: unknown) => e);
    expect(sent).toBeInstanceOf(ValidationError);
    expect(sent).toMatchObject({ field: 'runAt' });
    const items = [{ payload: 1 }, { payload: 2 }, { payload: 3, runAt }];
    const batch = await queue.sendBatch('dates', items).catch((e: unknown) => e);
    expect(batch).toBeInstanceOf(ValidationError);
    expect(batch).toMatchObject({ field: 'items[2].runAt' });
    expect(await jobCount()).toBe(before);
  },
);

test('the bounds themselves are stored exactly', async () => {
  for (const iso of ['0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z']) {
    const { id } = await queue.send('dates', {}, { runAt: new Date(iso) });
    expect((await queue.getJob(id))?.runAt.toISOString()).toBe(iso);
  }
});
