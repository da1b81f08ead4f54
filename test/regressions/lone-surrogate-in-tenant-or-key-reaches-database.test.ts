import { expect, test } from 'vitest';
import { ValidationError } from '../../src/index.js';
import { useTestQueue } from '../helpers/database.js';

// Regression: strings PostgreSQL cannot store exactly got past validation. `send('q', {},
// { tenant: '\uDC00t' })` was accepted and stored the tenant as '\uFFFDt' (node-postgres encodes
// a lone surrogate as U+FFFD); the same tenant in `sendBatch`, or such an idempotency key, failed
// with `DatabaseError 22P02 invalid input syntax for type json` (the batch travels as JSON, and
// jsonb refuses a lone surrogate's escape). Identifiers only refused control characters.

const { sql, queue } = await useTestQueue({ listen: false });

async function jobCount(): Promise<number> {
  const { rows } = await sql.query('SELECT count(*)::int AS n FROM pgpulse.all_jobs');
  return rows[0].n;
}

async function refusedField(run: () => Promise<unknown>): Promise<string> {
  const before = await jobCount();
  const error = await run().then(
    () => new Error('expected a ValidationError'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  expect(await jobCount()).toBe(before);
  return (error as ValidationError).field;
}

test("send({ tenant: '\\uDC00t' }) is refused, not stored altered", async () => {
  expect(await refusedField(() => queue.send('q', {}, { tenant: '\uDC00t' }))).toBe('tenant');
});

test('sendBatch with such a tenant is refused, not a DatabaseError', async () => {
  const items = [{ payload: 1 }, { payload: 2, tenant: '\uDC00t' }];
  expect(await refusedField(() => queue.sendBatch('q', items))).toBe('items[1].tenant');
});

test('such an idempotency key is refused, not a DatabaseError', async () => {
  expect(await refusedField(() => queue.send('q', {}, { idempotencyKey: 'k\uD800' }))).toBe(
    'idempotencyKey',
  );
  const items = [{ payload: 1, idempotencyKey: '\uDC00' }];
  expect(await refusedField(() => queue.sendBatch('q', items))).toBe('items[0].idempotencyKey');
});

test('a well-formed tenant beyond ASCII is stored exactly', async () => {
  const { id } = await queue.send('q', {}, { tenant: '🚀t', idempotencyKey: 'clé' });
  expect(await queue.getJob(id)).toMatchObject({ tenant: '🚀t', idempotencyKey: 'clé' });
});
