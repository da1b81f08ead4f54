import { describe, expect, test } from 'vitest';
import { ConfigurationError, type JobEvent } from '../../src/index.js';
import { useTestQueue } from '../helpers/database.js';
import { waitFor } from '../helpers/wait.js';

// A delayed job (or a schedule's tick) is claimed up to `claimAheadMs` before it is due and its
// handler started on a local timer at the due time, so the claim's round trip no longer makes it
// late. These tests use the longest look-ahead (1 s), so that the job is visibly held meanwhile.

const { sql, queue } = await useTestQueue({ poolSize: 6 });

async function row(id: string) {
  const { rows } = await sql.query<{
    state: string;
    attempts: number;
    run_at: Date;
    started_at: Date | null;
  }>('SELECT state, attempts, run_at, started_at FROM pgpulse.all_jobs WHERE id = $1', [id]);
  return rows[0];
}

describe('claimAheadMs', () => {
  test('a delayed job is claimed ahead, held, and its handler starts when it is due, not before', async () => {
    const events: JobEvent[] = [];
    const watching = queue.events('ahead-run').subscribe((event) => {
      events.push(event);
    });
    const startedAt: number[] = [];
    const worker = queue.work('ahead-run', () => void startedAt.push(Date.now()), {
      claimAheadMs: 1000,
    });
    try {
      await worker.ready;
      const { id } = await queue.send('ahead-run', {}, { delayMs: 1500 });
      // Claimed (leased, `started` announced) while its handler waits for the due time.
      await waitFor(() => events.some((event) => event.type === 'started'), 'the claim');
      expect(startedAt).toEqual([]);
      expect((await row(id))?.state).toBe('running');
      expect(worker.held).toBe(1);
      expect(worker.running).toBe(0);
      await waitFor(async () => (await row(id))?.state === 'completed', 'the job completed');
      const done = await row(id);
      const runAt = done?.run_at.getTime() ?? Number.NaN;
      expect(startedAt).toHaveLength(1);
      expect(startedAt[0]).toBeGreaterThanOrEqual(Math.floor(runAt));
      // The recorded start is the due time, not the moment of the claim.
      expect(done?.started_at?.getTime()).toBe(runAt);
      const started = events.find((event) => event.type === 'started');
      expect(started?.type === 'started' && started.at.getTime()).toBe(runAt);
    } finally {
      watching.unsubscribe();
      await worker.stop();
    }
  });

  test('stop() during the wait gives the job back unstarted, its attempt not spent', async () => {
    const ran: string[] = [];
    const worker = queue.work('ahead-stop', (job) => void ran.push(job.id), {
      claimAheadMs: 1000,
    });
    await worker.ready;
    const { id } = await queue.send('ahead-stop', {}, { delayMs: 1200 });
    await waitFor(async () => (await row(id))?.state === 'running', 'the claim ahead');
    await worker.stop();
    expect(ran).toEqual([]);
    expect(await row(id)).toMatchObject({ state: 'pending', attempts: 0 });
    // Given back as it was: a worker started later runs it once.
    const next = queue.work('ahead-stop', (job) => void ran.push(job.id));
    try {
      await waitFor(async () => (await row(id))?.state === 'completed', 'the job run later');
      expect(ran).toEqual([id]);
    } finally {
      await next.stop();
    }
  });

  test('a job cancelled during the wait never starts', async () => {
    const ran: string[] = [];
    const worker = queue.work('ahead-cancel', (job) => void ran.push(job.id), {
      claimAheadMs: 1000,
    });
    try {
      await worker.ready;
      const { id } = await queue.send('ahead-cancel', {}, { delayMs: 1200 });
      await waitFor(async () => (await row(id))?.state === 'running', 'the claim ahead');
      expect(await queue.cancel(id)).toEqual({ id, previousState: 'running' });
      await waitFor(() => worker.held === 0, 'the worker letting go of it');
      // A later job of the queue still runs: the cancelled one left no timer behind to start.
      const { id: after } = await queue.send('ahead-cancel', {});
      await waitFor(async () => (await row(after))?.state === 'completed', 'the next job');
      expect(ran).toEqual([after]);
      expect((await row(id))?.state).toBe('cancelled');
    } finally {
      await worker.stop();
    }
  });

  test('a fair queue claims due jobs only, and its delayed jobs still start on time', async () => {
    await queue.queues.upsert('ahead-fair', { fairTenants: true });
    const startedAt: number[] = [];
    const worker = queue.work('ahead-fair', () => void startedAt.push(Date.now()), {
      claimAheadMs: 1000,
    });
    try {
      await worker.ready;
      const ids = await Promise.all(
        [300, 600].map((delayMs, i) =>
          queue.send('ahead-fair', {}, { delayMs, tenant: `t${i}` }).then((sent) => sent.id),
        ),
      );
      await waitFor(
        async () => (await Promise.all(ids.map(row))).every((r) => r?.state === 'completed'),
        'both jobs',
      );
      const rows = await Promise.all(ids.map(row));
      for (const r of rows) {
        // Claimed when due: the recorded start is the claim's, at or after the due time.
        expect(r?.started_at?.getTime()).toBeGreaterThanOrEqual(r?.run_at.getTime() ?? 0);
      }
      expect(startedAt).toHaveLength(2);
    } finally {
      await worker.stop();
    }
  });

  test('claimAheadMs is an integer from 0 to 1,000', () => {
    for (const claimAheadMs of [-1, 1001, 1.5, '20']) {
      expect(() => queue.work('ahead-bad', () => undefined, { claimAheadMs } as never)).toThrow(
        ConfigurationError,
      );
    }
  });
});
