import { expect, test } from 'vitest';
import { runEvery } from '../../src/kernel/cleanup.js';

test('every step runs in order, even after one fails; the failure is reported', async () => {
  const ran: string[] = [];
  const failure = new Error('listener would not close');
  const result = runEvery([
    () => ran.push('workers'),
    () => {
      ran.push('listener');
      throw failure;
    },
    async () => ran.push('pool'),
  ]);
  await expect(result).rejects.toBe(failure);
  expect(ran).toEqual(['workers', 'listener', 'pool']);
});

test('several failures come back together', async () => {
  const error = await runEvery([
    () => Promise.reject(new Error('a')),
    () => Promise.reject(new Error('b')),
  ]).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AggregateError);
  expect((error as AggregateError).errors.map((e: Error) => e.message)).toEqual(['a', 'b']);
});

test('no failure resolves', async () => {
  await expect(runEvery([() => undefined])).resolves.toBeUndefined();
});
