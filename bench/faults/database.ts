import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { dropScratchDatabase } from '../../src/dev/database.js';
import { Queue } from '../../src/index.js';
import { sleep } from '../harness.js';

/** A migrated database of its own for one trial, with the `handled` table the workers write. */
export interface TrialDatabase {
  readonly url: string;
  /** For the trial's own queries; survives a server restart (dropped connections are replaced). */
  readonly sql: pg.Pool;
  /** For sending. */
  readonly queue: Queue;
}

/** Runs `fn` on a fresh database, dropped afterwards. Library warnings go to `log`. */
export function withTrialDatabase<T>(
  adminUrl: string,
  log: (line: string) => void,
  fn: (db: TrialDatabase) => Promise<T>,
): Promise<T> {
  return withScratchDatabase(adminUrl, async (url) => {
    const sql = new pg.Pool({ connectionString: url, max: 4 });
    sql.on('error', () => undefined); // an idle connection ended by a restart
    const queue = new Queue({
      connectionString: url,
      logger: {
        warn: (message) => log(`[trial] warn: ${message}`),
        error: (message) => log(`[trial] error: ${message}`),
      },
    });
    try {
      await queue.migrate();
      // One row per handler run; run_id makes a retried insert of the same run write nothing.
      await sql.query(`CREATE TABLE handled (
        run_id uuid PRIMARY KEY, job_id uuid NOT NULL, pid int NOT NULL, attempt int NOT NULL,
        started_at timestamptz NOT NULL, recorded_at timestamptz NOT NULL DEFAULT clock_timestamp())`);
      await sql.query('CREATE INDEX ON handled (job_id)');
      return await fn({ url, sql, queue });
    } finally {
      await queue.close();
      await sql.end();
    }
  });
}

/**
 * Runs `fn` on a database created for it and dropped afterwards. Unlike the benchmark's
 * `withFreshDatabase`, no admin connection stays open meanwhile: a server restart would end it.
 */
async function withScratchDatabase<T>(adminUrl: string, fn: (url: string) => Promise<T>) {
  const name = `pgpulse_faults_${randomBytes(5).toString('hex')}`;
  await asAdmin(adminUrl, (admin) => admin.query(`CREATE DATABASE ${name}`));
  try {
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return await fn(url.toString());
  } finally {
    await asAdmin(adminUrl, (admin) => dropScratchDatabase(admin, name)).catch(() => undefined);
  }
}

async function asAdmin(adminUrl: string, fn: (admin: pg.Client) => Promise<unknown>) {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await fn(admin);
  } finally {
    await admin.end();
  }
}

/** Jobs of `queueName` by state. */
export async function countStates(
  sql: pg.Pool,
  queueName: string,
): Promise<Record<string, number>> {
  const { rows } = await sql.query<{ state: string; n: number }>(
    'SELECT state, count(*)::int AS n FROM pgpulse.all_jobs WHERE queue = $1 GROUP BY state',
    [queueName],
  );
  return Object.fromEntries(rows.map((row) => [row.state, row.n]));
}

/**
 * Waits until every one of `total` jobs is completed or dead, polling; a query that fails (the
 * server is restarting) is tried again. Returns the last counts and whether they settled.
 */
export async function waitUntilSettled(
  sql: pg.Pool,
  queueName: string,
  total: number,
  timeoutMs: number,
): Promise<{ counts: Record<string, number>; settled: boolean }> {
  const deadline = Date.now() + timeoutMs;
  let counts: Record<string, number> = {};
  for (;;) {
    try {
      counts = await countStates(sql, queueName);
    } catch {
      // Unreachable for a moment: try again.
    }
    const finished = (counts.completed ?? 0) + (counts.dead ?? 0);
    if (finished >= total) return { counts, settled: true };
    if (Date.now() > deadline) return { counts, settled: false };
    await sleep(250);
  }
}

/** Pacing of {@link sendPaced}. */
export interface Pacing {
  readonly total: number;
  readonly batchSize: number;
  /** Pause between batches, in ms. */
  readonly pauseMs: number;
  /**
   * Give every job a retained idempotency key, so that a batch retried after its answer was lost
   * (the server went away mid-commit) inserts nothing twice.
   */
  readonly keyed: boolean;
}

/**
 * Sends `total` jobs (`payload: { n }`) in paced batches, retrying a batch that fails while the
 * server is away (only keyed batches are retried: an unkeyed retry could insert twice).
 * `progress` is told how many were sent so far.
 */
export async function sendPaced(
  queue: Queue,
  queueName: string,
  pacing: Pacing,
  progress: (sent: number) => void = () => undefined,
): Promise<void> {
  for (let start = 0; start < pacing.total; start += pacing.batchSize) {
    const count = Math.min(pacing.batchSize, pacing.total - start);
    const items = Array.from({ length: count }, (_, i) => {
      const n = start + i;
      return pacing.keyed
        ? { payload: { n }, idempotencyKey: `job-${n}`, retainKey: true }
        : { payload: { n } };
    });
    for (let tries = 1; ; tries++) {
      try {
        await queue.sendBatch(queueName, items);
        break;
      } catch (error) {
        if (!pacing.keyed || tries >= 200) throw error;
        await sleep(100);
      }
    }
    progress(start + count);
    await sleep(pacing.pauseMs);
  }
}
