import pg from 'pg';
import { mergeMap } from 'rxjs';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import {
  ConfigurationError,
  JobCancelledError,
  migrate,
  Queue,
  type QueueOptions,
  type ReceivedJob,
} from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { deferred } from '../helpers/deferred.js';
import { type PgBouncer, pgbouncerUnavailable, startPgBouncer } from '../helpers/pgbouncer.js';
import { waitFor } from '../helpers/wait.js';

/** Why these tests cannot run here, if they cannot. */
const skipReason =
  pgbouncerUnavailable ??
  (new URL(inject('adminUrl')).password === ''
    ? "the test server's URL has no password, which PgBouncer's auth file needs"
    : undefined);
// Never a silent skip: say why on the console of the run.
if (skipReason !== undefined) console.warn(`pgbouncer.test.ts skipped: ${skipReason}`);

/** A logger that keeps what it is told, so tests can see warnings. */
function recordingLogger() {
  const warnings: string[] = [];
  const errors: string[] = [];
  return {
    warnings,
    errors,
    logger: {
      warn: (message: string) => warnings.push(message),
      error: (message: string) => errors.push(message),
    },
  };
}

describe.skipIf(skipReason !== undefined)('behind PgBouncer in transaction mode', () => {
  let db: TestDatabase;
  let bouncer: PgBouncer;
  /** Direct to the server: checks, and the LISTEN connection. */
  let sql: pg.Pool;
  /** Through the pooler. */
  let pooled: string;
  const queues: Queue[] = [];

  /** A queue through the pooler, closed after the file. */
  function pooledQueue(options: Omit<QueueOptions, 'connectionString' | 'pool'> = {}): Queue {
    const queue = new Queue({ connectionString: pooled, pooler: 'transaction', ...options });
    queues.push(queue);
    return queue;
  }

  /** PgBouncer's server connections for a database. */
  async function serverConnections(database: string): Promise<number> {
    const admin = await bouncer.admin();
    try {
      const { rows } = await admin.query('SHOW POOLS');
      const row = rows.find((r) => r.database === database) ?? {};
      const states = ['sv_active', 'sv_idle', 'sv_used', 'sv_tested', 'sv_login'];
      return states.reduce((sum, key) => sum + Number(row[key] ?? 0), 0);
    } finally {
      await admin.end();
    }
  }

  /** Applications connected to PgBouncer (not to the server). */
  async function pgbouncerClients(): Promise<string[]> {
    const admin = await bouncer.admin();
    try {
      const { rows } = await admin.query('SHOW CLIENTS');
      return rows.map((r) => String(r.application_name ?? ''));
    } finally {
      await admin.end();
    }
  }

  /** Sessions on the server with this application name, in the test database. */
  async function serverSessions(applicationName: string): Promise<number> {
    const { rows } = await sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND datname = $2',
      [applicationName, db.name],
    );
    return rows[0]?.n ?? 0;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    sql = new pg.Pool({ connectionString: db.url, max: 4 });
    bouncer = await startPgBouncer(inject('adminUrl'), db.name, {
      // Databases of their own (so pools of their own) for the tests that misuse the pooler.
      aliases: { named_statements: db.name, listen_through: db.name },
    });
    pooled = bouncer.url(db.name);
  });

  afterAll(async () => {
    await Promise.all(queues.map((queue) => queue.close()));
    await bouncer?.stop();
    await sql?.end();
    await db?.drop();
  });

  test('migrate through the pooler: one transaction on one connection, concurrent callers too', async () => {
    const results = await Promise.all([
      migrate(pooled, { schema: 'pooled' }),
      migrate(pooled, { schema: 'pooled' }),
      pooledQueue({ schema: 'pooled' }).migrate(),
    ]);
    const applied = results.map((result) => result.applied.length);
    expect(applied.filter((n) => n > 0)).toHaveLength(1);
    expect(results.every((result) => result.toVersion === results[0]?.toVersion)).toBe(true);
    const queue = pooledQueue({ schema: 'pooled', listen: false });
    const { id } = await queue.send('after-migrate', { ok: true });
    expect((await queue.getJob(id))?.state).toBe('pending');
  });

  test('send, sendBatch and a worker: LISTEN on the direct connection wakes it, jobs complete', async () => {
    const { warnings, errors, logger } = recordingLogger();
    const queue = pooledQueue({ listenConnectionString: db.url, logger, poolSize: 8 });
    const handled: number[] = [];
    // The poll is an hour away: only notifications, through the direct connection, wake it.
    const worker = queue.work<{ n: number }>(
      'wake',
      async (job) => {
        handled.push(job.payload.n);
        return { doubled: job.payload.n * 2 };
      },
      { pollIntervalMs: 3_600_000, concurrency: 8 },
    );
    await worker.ready;
    expect(await serverSessions('pgpulse-listener')).toBe(1);
    expect(await pgbouncerClients()).not.toContain('pgpulse-listener');

    const one = await queue.send('wake', { n: 0 });
    await waitFor(() => handled.length === 1, 'the first job, woken by NOTIFY');
    const batch = await queue.sendBatch(
      'wake',
      Array.from({ length: 50 }, (_, i) => ({ payload: { n: i + 1 } })),
    );
    await waitFor(
      async () => (await queue.stats('wake')).counts.completed === 51,
      'every job to complete',
    );
    expect(handled.sort((a, b) => a - b)).toEqual(Array.from({ length: 51 }, (_, i) => i));
    expect((await queue.getJob(one.id))?.result).toEqual({ doubled: 0 });
    expect((await queue.getJob(batch[49]?.id ?? ''))?.result).toEqual({ doubled: 100 });
    // The queue's own connections are PgBouncer's clients; its LISTEN connection is not.
    const clients = await pgbouncerClients();
    expect(clients).toContain('pgpulse');
    expect(clients).not.toContain('pgpulse-listener');
    await worker.stop();
    expect(warnings).toEqual([]);
    expect(errors).toEqual([]);
  });

  test('observe through the pooler', async () => {
    const queue = pooledQueue({ listenConnectionString: db.url });
    const sent = await queue.sendBatch(
      'observed',
      Array.from({ length: 20 }, (_, i) => ({ payload: { n: i } })),
    );
    const acked: string[] = [];
    const subscription = queue
      .observe<{ n: number }>('observed', { prefetch: 5 })
      .pipe(
        mergeMap(async (job: ReceivedJob<{ n: number }>) => {
          await job.ack({ n: job.payload.n });
          acked.push(job.id);
        }, 5),
      )
      .subscribe();
    try {
      await waitFor(() => acked.length === 20, 'every job acked');
      expect(new Set(acked)).toEqual(new Set(sent.map((s) => s.id)));
      expect((await queue.stats('observed')).counts.completed).toBe(20);
    } finally {
      subscription.unsubscribe();
    }
  });

  test('retries with backoff, dead letters, cancel and stats', async () => {
    const queue = pooledQueue({ listenConnectionString: db.url });
    const started = deferred<string>();
    const aborted = deferred<unknown>();
    const attempts: number[] = [];
    const worker = queue.work<{ kind: string }>('lifecycle', async (job) => {
      if (job.payload.kind === 'flaky') {
        attempts.push(job.attempts);
        if (job.attempts < 3) throw new Error(`attempt ${job.attempts} failed`);
        return 'third time lucky';
      }
      if (job.payload.kind === 'doomed') throw new Error('always');
      started.resolve(job.id);
      return new Promise((_, reject) => {
        job.signal.addEventListener('abort', () => {
          aborted.resolve(job.signal.reason);
          reject(job.signal.reason);
        });
      });
    });
    try {
      // Listening before the cancel is sent, so that its notification reaches the handler at
      // once (otherwise the next heartbeat finds the job cancelled).
      await worker.ready;
      const backoff = { type: 'fixed', delayMs: 10 } as const;
      const flaky = await queue.send('lifecycle', { kind: 'flaky' }, { backoff });
      const doomed = await queue.send('lifecycle', { kind: 'doomed' }, { backoff, maxAttempts: 2 });
      const running = await queue.send('lifecycle', { kind: 'cancel-me' });
      const later = await queue.send('lifecycle', { kind: 'never' }, { delayMs: 3_600_000 });

      expect(await started.promise).toBe(running.id);
      await queue.cancel(running.id);
      expect(await aborted.promise).toBeInstanceOf(JobCancelledError);
      expect(await queue.cancel(later.id)).toMatchObject({ previousState: 'pending' });

      const stateOf = async (id: string) => (await queue.getJob(id))?.state;
      await waitFor(async () => (await stateOf(flaky.id)) === 'completed', 'the retried job');
      await waitFor(async () => (await stateOf(doomed.id)) === 'dead', 'the doomed job to die');
      await waitFor(() => worker.held === 0, 'the worker to let go of the cancelled job');
      expect(attempts).toEqual([1, 2, 3]);
      expect((await queue.getJob(flaky.id))?.result).toBe('third time lucky');
      expect(await queue.getJob(doomed.id)).toMatchObject({ attempts: 2 });
      expect((await queue.stats('lifecycle')).counts).toMatchObject({
        completed: 1,
        dead: 1,
        cancelled: 2,
        pending: 0,
        running: 0,
      });
    } finally {
      await worker.stop();
    }
  });

  test('many clients over few server connections: concurrent claims and settlements all succeed', async () => {
    const { warnings, errors, logger } = recordingLogger();
    // Ten pg clients over PgBouncer's four server connections: with named statements, a client
    // would soon send only the name of a statement to a server connection that never prepared
    // it (the next test shows that failure).
    const queue = pooledQueue({ listenConnectionString: db.url, logger, poolSize: 10 });
    // Ten statements at once open all ten clients (PgBouncer queues them for its servers).
    await Promise.all(Array.from({ length: 10 }, () => queue.stats('crowd')));
    expect(queue.pool.totalCount).toBe(10);
    const count = 400;
    await queue.sendBatch(
      'crowd',
      Array.from({ length: count }, (_, i) => ({ payload: { n: i } })),
    );
    const seen = new Map<number, number>();
    const record = (n: number): void => {
      seen.set(n, (seen.get(n) ?? 0) + 1);
    };
    const workers = [1, 2].map(() =>
      queue.work<{ n: number }>('crowd', async (job) => record(job.payload.n), {
        concurrency: 8,
        claimBatchSize: 2,
      }),
    );
    // And a hand-driven consumer claiming and settling alongside them.
    let claimers = 0;
    const manual = async () => {
      for (;;) {
        const jobs = await queue.claim<{ n: number }>('crowd', { batchSize: 3 });
        if (jobs.length === 0) return;
        claimers++;
        for (const job of jobs) record(job.payload.n);
        await queue.completeMany(jobs.map((job) => ({ job })));
      }
    };
    try {
      await Promise.all([manual(), manual()]);
      await waitFor(
        async () => (await queue.stats('crowd')).counts.completed === count,
        'every job to complete',
      );
      expect(seen.size).toBe(count);
      expect([...seen.values()].every((times) => times === 1)).toBe(true);
      expect(claimers).toBeGreaterThan(0);
      expect(await serverConnections(db.name)).toBeLessThanOrEqual(4);
      expect(warnings).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
    }
  });

  test('retention through the pooler: concurrent passes prune each job once, no lock stays held', async () => {
    const queue = pooledQueue({ listen: false, poolSize: 6 });
    const sent = await queue.sendBatch(
      'pruned',
      Array.from({ length: 300 }, (_, i) => ({ payload: { i } })),
    );
    await sql.query(
      `UPDATE pgpulse.jobs SET state = 'completed', finished_at = now() - interval '2 days'
       WHERE queue = 'pruned'`,
    );
    // Four passes at once, in batches of 20: one batch at a time holds the (transaction-level)
    // lock; a pass that finds it taken stops, and the others go on.
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        queue.prune({ olderThanMs: 86_400_000, queue: 'pruned', batchSize: 20 }),
      ),
    );
    let left = (await queue.stats('pruned')).counts.completed;
    while (left > 0) {
      await queue.prune({ olderThanMs: 86_400_000, queue: 'pruned', batchSize: 20 });
      left = (await queue.stats('pruned')).counts.completed;
    }
    expect(results.reduce((sum, r) => sum + r.deleted, 0)).toBeLessThanOrEqual(sent.length);
    const { rows } = await sql.query(
      "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'",
    );
    expect(rows[0].n).toBe(0);
  });

  // Why the option exists: PgBouncer 1.18 in transaction mode does not carry named statements.
  test('named statements break through the pooler (a warning says what to set); unnamed ones do not', async () => {
    const through = bouncer.url('named_statements');
    // A pool of one client, without startup options (so the connection itself is accepted).
    const pool = new pg.Pool({ connectionString: through, max: 1 });
    const holder = new pg.Client({ connectionString: through });
    const made: Queue[] = [];
    try {
      await holder.connect();
      const named = recordingLogger();
      const unnamed = recordingLogger();
      for (const [pooler, recorder] of [
        ['none', named],
        ['transaction', unnamed],
      ] as const) {
        const queue = new Queue({ pool, pooler, logger: recorder.logger, listen: false });
        made.push(queue);
        await queue.stats('named'); // prepared (when named) on the server connection it got
        // PgBouncer reuses the most recently used server connection: the holder's open
        // transaction takes the one that prepared it, so the queue's next statement runs on
        // another server connection.
        await holder.query('BEGIN');
        await holder.query('SELECT 1');
        try {
          if (pooler === 'none') {
            // (pg forgets a statement that failed, and prepares it again on the next call: the
            // failures come and go with which server connection a statement lands on.)
            await expect(queue.stats('named')).rejects.toMatchObject({ code: '26000' });
          } else {
            expect((await queue.stats('named')).counts.pending).toBe(0);
          }
        } finally {
          await holder.query('COMMIT');
        }
      }
      expect(named.warnings).toHaveLength(1);
      expect(named.warnings[0]).toContain("set pooler: 'transaction'");
      expect(unnamed.warnings).toEqual([]);
    } finally {
      await holder.end();
      // A pool passed in stays open on close(): end it here.
      await Promise.all(made.map((queue) => queue.close()));
      await pool.end();
    }
  });

  test('the startup options of a direct connection are refused; the warning says what to set', async () => {
    const { warnings, logger } = recordingLogger();
    const queue = new Queue({ connectionString: pooled, logger, listen: false });
    queues.push(queue);
    // PgBouncer refuses the `options` startup parameter that sets plan_cache_mode.
    await expect(queue.stats('x')).rejects.toMatchObject({ code: '08P01' });
    await expect(queue.stats('x')).rejects.toMatchObject({ code: '08P01' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("set pooler: 'transaction'");
  });

  test('without listenConnectionString: one warning, no LISTEN through the pooler, jobs complete by polling', async () => {
    const { warnings, errors, logger } = recordingLogger();
    const queue = pooledQueue({ logger });
    const listenersBefore = await serverSessions('pgpulse-listener');
    const handled: string[] = [];
    const options = { pollIntervalMs: 50 };
    const workers = [
      queue.work('polled', async (job) => handled.push(job.id), options),
      queue.work('polled-too', async (job) => handled.push(job.id), options),
    ];
    try {
      await Promise.all(workers.map((worker) => worker.ready));
      const sent = await queue.sendBatch(
        'polled',
        Array.from({ length: 10 }, () => ({ payload: {} })),
      );
      const other = await queue.send('polled-too', {});
      await waitFor(() => handled.length === 11, 'every job, by polling');
      expect(new Set(handled)).toEqual(new Set([...sent.map((s) => s.id), other.id]));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('LISTEN/NOTIFY is off');
      expect(warnings[0]).toContain('listenConnectionString');
      expect(errors).toEqual([]);
      expect(await pgbouncerClients()).not.toContain('pgpulse-listener');
      expect(await serverSessions('pgpulse-listener')).toBe(listenersBefore);
      expect(() => queue.events()).toThrow(ConfigurationError);
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
    }
  });

  test('a listenConnectionString through the pooler by mistake: the probe detects it, warns once, jobs complete by polling', async () => {
    const { warnings, logger } = recordingLogger();
    const queue = pooledQueue({ logger, listenConnectionString: bouncer.url('listen_through') });
    const handled: string[] = [];
    const worker = queue.work('misled', async (job) => handled.push(job.id), {
      pollIntervalMs: 50,
    });
    try {
      await worker.ready;
      await queue.sendBatch(
        'misled',
        Array.from({ length: 5 }, () => ({ payload: {} })),
      );
      await waitFor(() => handled.length === 5, 'every job, by polling');
      await waitFor(() => warnings.length > 0, 'the warning');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('LISTEN/NOTIFY does not work on this connection');
      expect(warnings[0]).toContain('listenConnectionString');
    } finally {
      await worker.stop();
    }
  });

  test('the command line through the pooler: --pooler transaction, or PGPULSE_POOLER', async () => {
    const through = ['--database-url', pooled];
    // migrate opens one connection of its own, without startup options: fine as it is.
    expect((await runCli([...through, '--schema', 'cli_pooled', 'migrate'])).code).toBe(0);
    const sent = await runCli([...through, '--pooler', 'transaction', 'job', 'send', 'cli', '{}']);
    expect(sent).toMatchObject({ code: 0, stderr: '' });
    const stats = await runCli([...through, 'queue', 'stats', 'cli', '--json'], {
      PGPULSE_POOLER: 'transaction',
    });
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ counts: { pending: 1 } });
    // Without it, PgBouncer refuses the connection's startup options: one line, exit status 3
    // (the connection was refused).
    const refused = await runCli([...through, 'queue', 'stats', 'cli']);
    expect(refused.code).toBe(3);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
  });
});
