/**
 * A worker in a child process, for tests that need real processes (exactly-once across
 * processes, SIGKILL mid-job). Configured by environment variables; talks to the parent over IPC:
 * `ready` once listening, `started` when a job marked `hold` starts. Every handler run is recorded
 * in the `handled` table (job_id, pid, attempt, and with TEST_JOB_MS started_at and finished_at),
 * which a SIGKILL cannot take back.
 */
import pg from 'pg';
import { Queue } from '../../src/index.js';

const url = process.env.TEST_DATABASE_URL ?? '';
const queueName = process.env.TEST_QUEUE ?? 'procs';
const leaseMs = Number(process.env.TEST_LEASE_MS ?? 30_000);
// A handler that takes this long (ms) records when it finished too, for overlap checks.
const jobMs = Number(process.env.TEST_JOB_MS ?? 0);
const send = (message: unknown) => process.send?.(message);

const records = new pg.Pool({ connectionString: url, max: 4 });
const queue = new Queue({ connectionString: url, workerId: `child-${process.pid}` });
const worker = queue.work<{ hold?: boolean }>(
  queueName,
  async (job) => {
    await records.query('INSERT INTO handled (job_id, pid, attempt) VALUES ($1, $2, $3)', [
      job.id,
      process.pid,
      job.attempts,
    ]);
    if (jobMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, jobMs));
      await records.query(
        'UPDATE handled SET finished_at = clock_timestamp() WHERE job_id = $1 AND attempt = $2',
        [job.id, job.attempts],
      );
    }
    if (job.payload?.hold && job.attempts === 1) {
      send({ type: 'started', id: job.id });
      // Hold the job until killed (or aborted), as a job stuck in a crashed process would be.
      await new Promise((_, reject) =>
        job.signal.addEventListener('abort', () => reject(job.signal.reason)),
      );
    }
    return { pid: process.pid };
  },
  {
    concurrency: Number(process.env.TEST_CONCURRENCY ?? 8),
    pollIntervalMs: Number(process.env.TEST_POLL_MS ?? 1000),
    leaseMs,
    heartbeatMs: Math.floor(leaseMs / 4),
    sweeper: { intervalMs: 100 },
  },
);

// Ready once a job sent now reaches this process without a poll: send a probe to a queue only
// this process consumes, again and again, until one is handled. The probe worker stays: a test
// can send `probe-<pid>` a `{ record: true }` job to learn that this process has taken every
// notification sent before it (they arrive in order), recorded in `handled` with attempt 0.
let ready = false;
const probe = queue.work<{ record?: boolean }>(
  `ready-${process.pid}`,
  async (job) => {
    ready = true;
    if (job.payload?.record) {
      await records.query('INSERT INTO handled (job_id, pid, attempt) VALUES ($1, $2, 0)', [
        job.id,
        process.pid,
      ]);
    }
  },
  { pollIntervalMs: 3_600_000, sweeper: false },
);
while (!ready) {
  await queue.send(`ready-${process.pid}`, {});
  await new Promise((resolve) => setTimeout(resolve, 20));
}
send({ type: 'ready', pid: process.pid });

process.once('SIGTERM', async () => {
  await probe.stop();
  await worker.stop({ graceMs: 5000 });
  await queue.close();
  await records.end();
  process.exit(0);
});
