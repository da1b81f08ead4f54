import { describe, expect, test } from 'vitest';
import { ErrorCode, JobAlreadyExistsError, Queue, type SendResult } from '../../src/index.js';
import { useTestQueue } from '../helpers/database.js';

const { db, sql, queue } = await useTestQueue({ listen: false });

async function rowsWithKey(queueName: string, key: string) {
  const { rows } = await sql.query(
    'SELECT id, payload, state FROM pgpulse.all_jobs WHERE queue = $1 AND idempotency_key = $2',
    [queueName, key],
  );
  return rows as { id: string; payload: unknown; state: string }[];
}

/** 16 queues, each with its own single connection, all sending at once. */
async function race<T>(
  send: (q: Queue, i: number) => Promise<T>,
): Promise<PromiseSettledResult<T>[]> {
  const queues = Array.from(
    { length: 16 },
    () => new Queue({ connectionString: db.url, poolSize: 1, listen: false }),
  );
  try {
    // Open every connection first, so the sends really overlap.
    await Promise.all(queues.map((q) => q.stats('warm-up')));
    return await Promise.allSettled(queues.map((q, i) => send(q, i)));
  } finally {
    await Promise.all(queues.map((q) => q.close()));
  }
}

describe('reject mode', () => {
  test('a held key is refused with JobAlreadyExistsError naming the holder; nothing is written', async () => {
    const first = await queue.send('keys', { v: 1 }, { idempotencyKey: 'r1' });
    const refused = await queue
      .send('keys', { v: 2 }, { idempotencyKey: 'r1', onDuplicate: 'reject' })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(JobAlreadyExistsError);
    expect(refused).toMatchObject({
      code: ErrorCode.jobExists,
      idempotencyKey: 'r1',
      existingJobId: first.id,
    });
    expect(await rowsWithKey('keys', 'r1')).toEqual([
      { id: first.id, payload: { v: 1 }, state: 'pending' },
    ]);
  });

  test('a batch with one held key writes none of its jobs', async () => {
    await queue.send('keys', {}, { idempotencyKey: 'r2' });
    const before = (await queue.stats('keys')).counts.pending;
    await expect(
      queue.sendBatch('keys', [{ payload: 'fresh' }, { payload: 'dup', idempotencyKey: 'r2' }], {
        onDuplicate: 'reject',
      }),
    ).rejects.toBeInstanceOf(JobAlreadyExistsError);
    expect((await queue.stats('keys')).counts.pending).toBe(before);
  });

  test('16 concurrent sends of one key: exactly one succeeds, 15 are refused with its id', async () => {
    const results = await race((q, i) =>
      q.send('race-reject', { i }, { idempotencyKey: 'k', onDuplicate: 'reject' }),
    );
    const sent = results.filter(
      (r): r is PromiseFulfilledResult<SendResult> => r.status === 'fulfilled',
    );
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(sent).toHaveLength(1);
    expect(refused).toHaveLength(15);
    for (const { reason } of refused) {
      expect(reason).toBeInstanceOf(JobAlreadyExistsError);
      expect((reason as JobAlreadyExistsError).existingJobId).toBe(sent[0]?.value.id);
    }
    expect(await rowsWithKey('race-reject', 'k')).toHaveLength(1);
  });
});

describe('replace mode (debounce)', () => {
  test("replaces a pending holder's payload and run time, keeping its id", async () => {
    const first = await queue.send('keys', { v: 1 }, { idempotencyKey: 'd1', delayMs: 60_000 });
    const second = await queue.send(
      'keys',
      { v: 2 },
      { idempotencyKey: 'd1', delayMs: 0, onDuplicate: 'replace' },
    );
    expect(second).toEqual({ id: first.id, duplicate: true, replaced: true });
    const job = await queue.getJob(first.id);
    expect(job?.payload).toEqual({ v: 2 });
    expect(job?.runAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
  });

  test('leaves a running holder alone and reports it as a duplicate', async () => {
    const first = await queue.send('keys-running', { v: 1 }, { idempotencyKey: 'd2' });
    const [claimed] = await queue.claim('keys-running');
    expect(claimed?.id).toBe(first.id);
    const second = await queue.send(
      'keys-running',
      { v: 2 },
      { idempotencyKey: 'd2', onDuplicate: 'replace' },
    );
    expect(second).toEqual({ id: first.id, duplicate: true, replaced: false });
    expect((await queue.getJob(first.id))?.payload).toEqual({ v: 1 });
  });

  test('16 concurrent replacing sends: one job, every caller gets its id, the payload is one of theirs', async () => {
    const results = await race((q, i) =>
      q.send('race-replace', { i }, { idempotencyKey: 'k', onDuplicate: 'replace' }),
    );
    const values = results.map((r) => (r.status === 'fulfilled' ? r.value : null));
    expect(values.every((v) => v !== null)).toBe(true);
    expect(new Set(values.map((v) => v?.id)).size).toBe(1);
    expect(values.filter((v) => v?.duplicate === false)).toHaveLength(1);
    const rows = await rowsWithKey('race-replace', 'k');
    expect(rows).toHaveLength(1);
    expect(rows[0]?.payload).toEqual({ i: expect.any(Number) });
  });
});

describe('return mode (the default)', () => {
  test('16 concurrent sends: one job, every caller gets its id, never nothing', async () => {
    const results = await race((q, i) => q.send('race-return', { i }, { idempotencyKey: 'k' }));
    const values = results.map((r) => (r.status === 'fulfilled' ? r.value : null));
    expect(values.every((v) => typeof v?.id === 'string')).toBe(true);
    expect(new Set(values.map((v) => v?.id)).size).toBe(1);
    expect(values.filter((v) => v?.duplicate === false)).toHaveLength(1);
  });
});

describe('whether a finished job frees its key', () => {
  test('by default a key is free again once its job finished', async () => {
    const first = await queue.send('keys-free', {}, { idempotencyKey: 'f1' });
    const [job] = await queue.claim('keys-free');
    if (job === undefined) throw new Error('nothing claimed');
    await queue.complete(job);
    const second = await queue.send('keys-free', {}, { idempotencyKey: 'f1' });
    expect(second.duplicate).toBe(false);
    expect(second.id).not.toBe(first.id);
  });

  test('with retainKey the key stays taken after the job finished', async () => {
    const first = await queue.send('keys-kept', {}, { idempotencyKey: 'f2', retainKey: true });
    const [job] = await queue.claim('keys-kept');
    if (job === undefined) throw new Error('nothing claimed');
    await queue.complete(job);
    const again = await queue.send('keys-kept', {}, { idempotencyKey: 'f2', retainKey: true });
    expect(again).toEqual({ id: first.id, duplicate: true, replaced: false });
    await expect(
      queue.send('keys-kept', {}, { idempotencyKey: 'f2', retainKey: true, onDuplicate: 'reject' }),
    ).rejects.toBeInstanceOf(JobAlreadyExistsError);
  });

  test('16 concurrent sends of a retained key: one job', async () => {
    const results = await race((q, i) =>
      q.send('race-kept', { i }, { idempotencyKey: 'k', retainKey: true }),
    );
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(await rowsWithKey('race-kept', 'k')).toHaveLength(1);
  });
});
