import { describe, expect, expectTypeOf, test } from 'vitest';
import { z } from 'zod';
import {
  ConfigurationError,
  defineJob,
  type JobContext,
  ValidationError,
} from '../../src/index.js';
import { useTestQueue } from '../helpers/database.js';
import { waitFor } from '../helpers/wait.js';

const { sql, queue } = await useTestQueue();

const handled: unknown[] = [];
const welcome = defineJob({
  name: 'welcome',
  schema: z.object({ to: z.email(), name: z.string().min(1) }),
  priority: -5,
  maxAttempts: 2,
  handler: async (job) => {
    expectTypeOf(job).toEqualTypeOf<JobContext<{ to: string; name: string }>>();
    handled.push(['welcome', job.payload.to]);
    return { greeted: job.payload.name };
  },
});
const reset = defineJob({
  name: 'reset',
  schema: z.object({ userId: z.number().int(), token: z.string().default('generated') }),
  timeoutMs: 60_000,
  handler: async (job) => {
    handled.push(['reset', job.payload.userId, job.payload.token]);
  },
});

async function finalState(id: string): Promise<string | undefined> {
  await waitFor(async () => {
    const state = (await queue.getJob(id))?.state;
    return state === 'completed' || state === 'dead';
  }, `job ${id} to finish`);
  return (await queue.getJob(id))?.state;
}

describe('sending with a definition', () => {
  test("validates the payload, stores the schema's output, and applies the definition's defaults", async () => {
    const { id } = await queue.send('defs-send', reset, { userId: 7 });
    const job = await queue.getJob(id);
    expect(job).toMatchObject({
      name: 'reset',
      payload: { userId: 7, token: 'generated' },
      priority: 0,
    });
    const { id: other } = await queue.send(
      'defs-send',
      welcome,
      { to: 'ada@example.com', name: 'Ada' },
      { priority: 3 },
    );
    expect(await queue.getJob(other)).toMatchObject({
      name: 'welcome',
      priority: 3, // the caller's option wins over the definition's
      maxAttempts: 2,
    });
  });

  test('a bad payload is refused with a ValidationError naming the field; nothing is written', async () => {
    const before = (await queue.stats('defs-bad')).counts.pending;
    const error = await queue
      .send('defs-bad', welcome, { to: 'not an email', name: 'Ada' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('payload.to');
    const batchError = await queue
      .sendBatch('defs-bad', welcome, [
        { payload: { to: 'a@example.com', name: 'A' } },
        { payload: { to: 'b@example.com', name: '' } },
      ])
      .catch((e: unknown) => e);
    expect((batchError as ValidationError).field).toBe('items[1].payload.name');
    expect((await queue.stats('defs-bad')).counts.pending).toBe(before);
    // @ts-expect-error: the schema types the payload
    await expect(queue.send('defs-bad', reset, { userId: 'seven' })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  test('a job name that contradicts the definition is refused', async () => {
    await expect(
      queue.send('defs-bad', reset, { userId: 1 }, { name: 'other' }),
    ).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('a worker given definitions', () => {
  test('routes each job to its definition by name', async () => {
    const worker = queue.work('defs-mixed', [welcome, reset]);
    try {
      const sent = await queue.sendBatch('defs-mixed', welcome, [
        { payload: { to: 'ada@example.com', name: 'Ada' } },
      ]);
      const other = await queue.send('defs-mixed', reset, { userId: 1, token: 't' });
      expect(await finalState(sent[0]?.id ?? '')).toBe('completed');
      expect(await finalState(other.id)).toBe('completed');
      expect((await queue.getJob(sent[0]?.id ?? ''))?.result).toEqual({ greeted: 'Ada' });
      expect(handled).toEqual(
        expect.arrayContaining([
          ['welcome', 'ada@example.com'],
          ['reset', 1, 't'],
        ]),
      );
    } finally {
      await worker.stop();
    }
  });

  test('an unknown job name goes to dead with a clear reason, and the worker goes on', async () => {
    const worker = queue.work('defs-unknown', [welcome]);
    try {
      const stray = await queue.send('defs-unknown', { x: 1 }, { name: 'mystery' });
      const fine = await queue.send('defs-unknown', welcome, { to: 'b@example.com', name: 'B' });
      expect(await finalState(stray.id)).toBe('dead');
      expect((await queue.getJob(stray.id))?.lastError).toMatchObject({
        name: 'NonRetryableError',
        retryable: false,
      });
      expect((await queue.getJob(stray.id))?.lastError?.message).toMatch(
        /No handler for job type "mystery".*handles "welcome"/,
      );
      expect(await finalState(fine.id)).toBe('completed');
    } finally {
      await worker.stop();
    }
  });

  test('a payload inserted by other means that fails the schema goes to dead', async () => {
    const worker = queue.work('defs-raw', [welcome]);
    try {
      const { rows } = await sql.query(
        `INSERT INTO pgpulse.jobs (queue, name, payload) VALUES ('defs-raw', 'welcome', '{"to": 5}') RETURNING id`,
      );
      const id = rows[0].id as string;
      expect(await finalState(id)).toBe('dead');
      expect((await queue.getJob(id))?.lastError?.message).toMatch(/does not match its schema/);
      expect((await queue.getJob(id))?.attempts).toBe(1);
    } finally {
      await worker.stop();
    }
  });

  test('bad definitions are refused when the worker is built', () => {
    const sendOnly = defineJob<{ n: number }>({ name: 'send-only' });
    expect(() => queue.work('defs-x', [])).toThrow(ConfigurationError);
    expect(() => queue.work('defs-x', [sendOnly])).toThrow(ConfigurationError);
    expect(() => queue.work('defs-x', [welcome, welcome])).toThrow(ConfigurationError);
    expect(() => queue.work('defs-x', [{ name: 'fake' } as never])).toThrow(ConfigurationError);
    expect(() => defineJob({ name: 'bad name!' })).toThrow(ValidationError);
    expect(() => defineJob({ name: 'x', schema: {} as never })).toThrow(ValidationError);
    expect(() => defineJob({ name: 'x', maxAttempts: 0 })).toThrow(ValidationError);
  });
});
