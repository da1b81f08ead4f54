import { describe, expect, test } from 'vitest';
import { ConnectionError, type ConsumerError, ErrorCode, type JobEvent } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { useTestQueue } from '../helpers/database.js';
import { deferred } from '../helpers/deferred.js';
import { lockTable, terminateWaiting } from '../helpers/terminate.js';
import { waitFor } from '../helpers/wait.js';

// Regression: a retention pass held a pooled client with no 'error' listener, so terminating its
// backend during prune() ended the process with "Unhandled 'error' event ... Connection
// terminated unexpectedly". Each case below ends pgpulse's connection in the middle of one
// operation (the statement waits for a lock the test holds; `pg_terminate_backend` ends it
// there, as a server restart or a network cut would). The process must live: an unhandled error
// fails this file. The operation must complete after a retry, or reject with a typed error.

const { db, sql, queue } = await useTestQueue();
const DAY = 86_400_000;

async function stateOf(id: string): Promise<string | undefined> {
  return (await queue.getJob(id))?.state;
}

describe('a connection ended mid-statement', () => {
  test('retention: the batch is retried and the pass completes', async () => {
    const sent = await queue.sendBatch(
      'prune-me',
      Array.from({ length: 5 }, (_, i) => ({ payload: i })),
    );
    await sql.query(
      `UPDATE pgpulse.jobs SET state = 'completed', finished_at = now() - interval '2 days'
       WHERE queue = 'prune-me'`,
    );
    const lock = await lockTable(sql, 'pgpulse.jobs');
    const pass = queue.prune({ olderThanMs: DAY, queue: 'prune-me' });
    try {
      expect(await terminateWaiting(sql, '-- Retention: deletes')).toBe(1);
    } finally {
      await lock.release();
    }
    expect(await pass).toEqual({
      deleted: sent.length,
      archived: 0,
      skipped: false,
      partitions: 0,
    });
  });

  test('the sweeper: the batch is retried and the orphan is reclaimed', async () => {
    const { id } = await queue.send('swept', {});
    await queue.claim('swept', { leaseMs: 60_000 });
    await sql.query(
      `UPDATE pgpulse.jobs SET lease_expires_at = now() - interval '1 second' WHERE id = $1`,
      [id],
    );
    const sweeper = queue.sweeper();
    const lock = await lockTable(sql, 'pgpulse.jobs');
    const pass = sweeper.runOnce();
    try {
      await terminateWaiting(sql, '-- The visibility-timeout sweeper');
    } finally {
      await lock.release();
    }
    expect(await pass).toEqual([{ id, queue: 'swept', state: 'pending' }]);
  });

  test('a claim: reported as transient, retried at the next wake, the job runs once', async () => {
    const { id } = await queue.send('claimed', {});
    const runs: string[] = [];
    const lock = await lockTable(sql, 'pgpulse.jobs');
    const worker = queue.work('claimed', async (job) => void runs.push(job.id), {
      pollIntervalMs: 50,
      sweeper: false,
    });
    const events: ConsumerError[] = [];
    worker.on('error', (event) => events.push(event));
    try {
      try {
        await terminateWaiting(sql, '-- The lean claim'); // claim_plain.sql: a plain queue's
      } finally {
        await lock.release();
      }
      await waitFor(async () => (await stateOf(id)) === 'completed', 'the job to complete');
      expect(runs).toEqual([id]);
      const claimErrors = events.filter((event) => event.during === 'claim');
      expect(claimErrors.length).toBeGreaterThan(0);
      for (const event of claimErrors) {
        expect(event.fatal).toBe(false);
        expect(event.error).toBeInstanceOf(ConnectionError);
      }
      expect(worker.failure).toBeUndefined();
    } finally {
      await worker.stop();
    }
  });

  test('a completion: retried while the lease holds, the job completes once', async () => {
    const gate = deferred();
    const started = deferred();
    let runs = 0;
    const worker = queue.work(
      'completed-once',
      async () => {
        runs++;
        started.resolve();
        await gate.promise;
        return 'done';
      },
      { sweeper: false },
    );
    try {
      const { id } = await queue.send('completed-once', {});
      await started.promise;
      const lock = await lockTable(sql, 'pgpulse.jobs');
      try {
        gate.resolve();
        await terminateWaiting(sql, '-- Completes many running jobs');
      } finally {
        await lock.release();
      }
      await waitFor(async () => (await stateOf(id)) === 'completed', 'the completion');
      expect((await queue.getJob(id))?.result).toBe('done');
      expect(runs).toBe(1);
    } finally {
      await worker.stop();
    }
  });

  test('a heartbeat: the next one renews, the handler is not aborted', async () => {
    const gate = deferred();
    const started = deferred();
    let aborted = false;
    const worker = queue.work(
      'beating',
      async (job) => {
        job.signal.addEventListener('abort', () => {
          aborted = true;
        });
        started.resolve();
        await gate.promise;
      },
      { heartbeatMs: 50, leaseMs: 30_000, sweeper: false },
    );
    try {
      const { id } = await queue.send('beating', {});
      await started.promise;
      const lock = await lockTable(sql, 'pgpulse.jobs');
      try {
        await terminateWaiting(sql, '-- Renews the leases');
      } finally {
        await lock.release();
      }
      // A later heartbeat renews the lease (heartbeat_at moves on).
      const before = await sql.query('SELECT heartbeat_at FROM pgpulse.jobs WHERE id = $1', [id]);
      await waitFor(async () => {
        const now = await sql.query('SELECT heartbeat_at FROM pgpulse.jobs WHERE id = $1', [id]);
        return now.rows[0].heartbeat_at > before.rows[0].heartbeat_at;
      }, 'a heartbeat after the dropped one');
      gate.resolve();
      await waitFor(async () => (await stateOf(id)) === 'completed', 'the completion');
      expect(aborted).toBe(false);
    } finally {
      await worker.stop();
    }
  });

  test('events(): the registration is retried and events flow', async () => {
    const lock = await lockTable(sql, 'pgpulse.event_watchers');
    const seen: JobEvent[] = [];
    let failed: unknown;
    const subscription = queue
      .events('watched')
      .subscribe({ next: (event) => seen.push(event), error: (error) => (failed = error) });
    try {
      try {
        await terminateWaiting(sql, '-- Registers or renews an event watcher');
      } finally {
        await lock.release();
      }
      await waitFor(async () => {
        const { rows } = await sql.query('SELECT count(*)::int AS n FROM pgpulse.event_watchers');
        return rows[0].n > 0;
      }, 'the watcher to register');
      const { id } = await queue.send('watched', {});
      await waitFor(() => seen.some((event) => event.id === id), 'the enqueued event');
      expect(failed).toBeUndefined();
    } finally {
      subscription.unsubscribe();
    }
  });

  test('queue admin: rejects with a typed ConnectionError', async () => {
    await queue.queues.upsert('admin-dropped');
    const lock = await lockTable(sql, 'pgpulse.queues');
    const pausing = queue.queues.pause('admin-dropped').catch((e: unknown) => e);
    try {
      await terminateWaiting(sql, '-- Pauses or resumes a queue');
    } finally {
      await lock.release();
    }
    const error = await pausing;
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe(ErrorCode.connection);
    // The queue goes on: the next call works.
    await queue.queues.pause('admin-dropped');
    expect((await queue.queues.get('admin-dropped')).paused).toBe(true);
  });

  test('the CLI: one line, exit 3 (connection)', async () => {
    const lock = await lockTable(sql, 'pgpulse.jobs');
    const cli = runCli(['queue', 'stats', 'admin-dropped'], { DATABASE_URL: db.url });
    try {
      await terminateWaiting(sql, '-- Counts jobs per state');
    } finally {
      await lock.release();
    }
    const run = await cli;
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^pgpulse: The database connection failed: terminating connection/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('the LISTEN connection: it reconnects and a job sent later wakes the worker', async () => {
    const seen = deferred<string>();
    const worker = queue.work('relisten', async (job) => seen.resolve(job.id), {
      pollIntervalMs: 3_600_000,
    });
    try {
      await worker.ready;
      await sql.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                       WHERE datname = current_database() AND application_name = 'pgpulse-listener'`);
      // Reconnected and listening again once a notification from us arrives.
      await waitFor(async () => {
        const { rows } = await sql.query(`SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'pgpulse-listener'`);
        return rows[0].n > 0;
      }, 'the listener to reconnect');
      const { id } = await queue.send('relisten', {});
      expect(await seen.promise).toBe(id);
    } finally {
      await worker.stop();
    }
  });
});
