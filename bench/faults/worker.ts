/**
 * A worker process of the fault trial (bench/faults.ts), modelled on
 * test/helpers/worker-process.ts. Configured by environment variables; talks to the parent over
 * IPC: `loaded` once its code is loaded, `ready` once listening (after the parent said `start`),
 * `started` when a job marked `hold` starts its first attempt, `unrecorded` when a handler run
 * could not be written to `handled`. Every handler run is recorded in the `handled` table before
 * the handler does anything else, on a pool of its own, so that a SIGKILL cannot take a run
 * back. The library's warnings go to stderr, which the parent keeps.
 */
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import pg from 'pg';
import { type JobContext, Queue } from '../../src/index.js';

const url = process.env.FAULTS_DATABASE_URL ?? '';
const queueName = process.env.FAULTS_QUEUE ?? 'faults';
const concurrency = Number(process.env.FAULTS_CONCURRENCY ?? 8);
const leaseMs = Number(process.env.FAULTS_LEASE_MS ?? 10_000);
const jobMs = Number(process.env.FAULTS_JOB_MS ?? 3);
const sweeperMs = Number(process.env.FAULTS_SWEEPER_MS ?? 2000);

/** A record that fails (the server is restarting) is tried again this often, 100 ms apart. */
const RECORD_TRIES = 150;

const send = (message: unknown) => process.send?.(message);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function log(level: string, message: string, details?: Record<string, unknown>): void {
  const extra = details === undefined ? '' : ` ${inspect(details, { breakLength: Infinity })}`;
  process.stderr.write(`${new Date().toISOString()} ${level}: ${message}${extra}\n`);
}

// The parent is gone (it crashed or was killed): nobody will stop this process otherwise.
process.once('disconnect', () => process.exit(1));

// Loading the code takes seconds on a busy machine: the parent may launch a spare process ahead
// of time and tell it to start when it needs it.
send({ type: 'loaded' });
await new Promise<void>((resolve) =>
  process.on('message', (message: { type?: string }) => {
    if (message.type === 'start') resolve();
  }),
);

// A connection per handler, so that a run is recorded as soon as it starts.
const records = new pg.Pool({ connectionString: url, max: concurrency });
// An idle connection ended by a server restart: the next query opens a new one.
records.on('error', () => undefined);

/**
 * Records one handler run. Retried while the server is away; the run's own id makes a retry of
 * an insert whose answer was lost write nothing, so a row is one run.
 */
async function record(job: JobContext<unknown>, startedAt: Date): Promise<void> {
  const runId = randomUUID();
  for (let tries = 1; ; tries++) {
    try {
      await records.query(
        `INSERT INTO handled (run_id, job_id, pid, attempt, started_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (run_id) DO NOTHING`,
        [runId, job.id, process.pid, job.attempts, startedAt],
      );
      if (tries > 1) log('info', `recorded job ${job.id} after ${tries} tries`);
      return;
    } catch (error) {
      if (tries >= RECORD_TRIES || job.signal.aborted) {
        send({ type: 'unrecorded', id: job.id });
        throw error;
      }
      await sleep(100);
    }
  }
}

const queue = new Queue({
  connectionString: url,
  workerId: `faults-${process.pid}`,
  logger: { warn: (m, d) => log('warn', m, d), error: (m, d) => log('error', m, d) },
});
const worker = queue.work<{ hold?: boolean }>(
  queueName,
  async (job) => {
    await record(job, new Date());
    if (job.payload?.hold && job.attempts === 1) {
      send({ type: 'started', id: job.id });
      // Hold the job until killed (or aborted), as a job stuck in a crashed process would be.
      await new Promise((_, reject) =>
        job.signal.addEventListener('abort', () => reject(job.signal.reason)),
      );
    }
    await sleep(jobMs);
    return { pid: process.pid };
  },
  {
    concurrency,
    leaseMs,
    heartbeatMs: Math.floor(leaseMs / 3),
    sweeper: { intervalMs: sweeperMs },
  },
);

// Ready once a job sent now reaches this process without a poll (as in worker-process.ts).
let ready = false;
const probe = queue.work(
  `ready-${process.pid}`,
  async () => {
    ready = true;
  },
  { pollIntervalMs: 3_600_000, sweeper: false },
);
while (!ready) {
  await queue.send(`ready-${process.pid}`, {});
  await sleep(20);
}
send({ type: 'ready', pid: process.pid });

process.once('SIGTERM', async () => {
  await probe.stop();
  await worker.stop({ graceMs: 5000 });
  await queue.close();
  await records.end();
  process.exit(0);
});
