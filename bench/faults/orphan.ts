/**
 * Part 3 of the fault trial: how long a job orphaned by a SIGKILLed worker waits before it starts
 * again, when a backlog arrives right after the kill. The sweeper keeps an orphan's run_at, so it
 * should start soon after its lease expires, ahead of most of the backlog.
 */
import type pg from 'pg';
import { percentile } from '../../src/dev/percentiles.js';
import { sleep } from '../harness.js';
import { type TrialDatabase, withTrialDatabase } from './database.js';
import { startWorker, type WorkerProcess } from './worker-processes.js';

const QUEUE = 'orphan';

/** What part 3 runs. */
export interface OrphanSettings {
  readonly repetitions: number;
  readonly backlog: number;
  /** Worker processes that consume the backlog (besides the one killed). */
  readonly consumers: number;
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly sweeperMs: number;
  readonly jobMs: number;
}

/** One repetition, times in ms after the SIGKILL. */
export interface OrphanRun {
  /** The orphan's second start. */
  readonly restartedAfterMs: number;
  /** When the sweeper put it back to pending (its LEASE_EXPIRED error record). */
  readonly sweptAfterMs: number;
  /** When the whole backlog had been sent. */
  readonly backlogSentAfterMs: number;
  /** Backlog jobs that started before the orphan's second start. */
  readonly startedAhead: number;
}

export interface OrphanResult {
  readonly settings: OrphanSettings;
  readonly runs: OrphanRun[];
  readonly medianRestartedAfterMs: number;
  readonly medianStartedAhead: number;
}

/** Runs part 3 on the server whose superuser URL is `adminUrl`. Worker output goes to `log`. */
export async function orphanTrial(
  adminUrl: string,
  settings: OrphanSettings,
  log: (line: string) => void,
): Promise<OrphanResult> {
  const runs: OrphanRun[] = [];
  for (let i = 0; i < settings.repetitions; i++) {
    runs.push(await withTrialDatabase(adminUrl, log, (db) => once(db, settings, log)));
  }
  return {
    settings,
    runs,
    medianRestartedAfterMs: middle(runs.map((run) => run.restartedAfterMs)),
    medianStartedAhead: middle(runs.map((run) => run.startedAhead)),
  };
}

async function once(
  db: TrialDatabase,
  settings: OrphanSettings,
  log: (line: string) => void,
): Promise<OrphanRun> {
  const env = {
    FAULTS_DATABASE_URL: db.url,
    FAULTS_QUEUE: QUEUE,
    FAULTS_CONCURRENCY: String(settings.concurrency),
    FAULTS_LEASE_MS: String(settings.leaseMs),
    FAULTS_SWEEPER_MS: String(settings.sweeperMs),
    FAULTS_JOB_MS: String(settings.jobMs),
  };
  const workers: WorkerProcess[] = [];
  try {
    // The holder starts alone, so that it is the one to claim the held job.
    const holder = await startWorker(env, log);
    workers.push(holder);
    const { id: orphan } = await db.queue.send(QUEUE, { hold: true });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      holder.heldJob,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error('the held job did not start within 30 s')),
          30_000,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    for (let i = 0; i < settings.consumers; i++) workers.push(await startWorker(env, log));
    const killedAt = Date.now();
    await holder.kill();
    const chunk = 1000;
    for (let start = 0; start < settings.backlog; start += chunk) {
      const count = Math.min(chunk, settings.backlog - start);
      await db.queue.sendBatch(
        QUEUE,
        Array.from({ length: count }, (_, k) => ({ payload: { n: start + k } })),
      );
    }
    const backlogSentAt = Date.now();
    const restartedAt = await secondStart(db.sql, orphan, 60_000);
    const { rows } = await db.sql.query(
      `SELECT (SELECT count(*)::int FROM handled WHERE job_id <> $1 AND started_at < $2) AS ahead,
              (SELECT (errors -> 0 ->> 'at')::timestamptz FROM pgpulse.all_jobs WHERE id = $1) AS swept`,
      [orphan, restartedAt],
    );
    return {
      restartedAfterMs: restartedAt.getTime() - killedAt,
      sweptAfterMs: new Date(rows[0].swept).getTime() - killedAt,
      backlogSentAfterMs: backlogSentAt - killedAt,
      startedAhead: rows[0].ahead,
    };
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
  }
}

/** When the job's second run started, polling the `handled` table. */
async function secondStart(sql: pg.Pool, id: string, timeoutMs: number): Promise<Date> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await sql.query<{ started_at: Date }>(
      'SELECT started_at FROM handled WHERE job_id = $1 ORDER BY started_at OFFSET 1 LIMIT 1',
      [id],
    );
    if (rows[0] !== undefined) return rows[0].started_at;
    if (Date.now() > deadline)
      throw new Error(`job ${id} did not run again within ${timeoutMs} ms`);
    await sleep(50);
  }
}

function middle(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}
