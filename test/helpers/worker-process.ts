/**
 * A worker in a child process, for tests that need real processes (exactly-once across
 * processes, SIGKILL mid-job). Configured by environment variables; talks to the parent over IPC:
 * `ready` once listening, `started` when a job marked `hold` starts. Every handler run is recorded
 * in the `handled` table, which a SIGKILL cannot take back.
 */
import pg from 'pg';
import { Queue } from '../../src/index.js';

const url = process.env.TEST_DATABASE_URL ?? '';
const queueName = process.env.TEST_QUEUE ?? 'procs';
const leaseMs = Number(process.env.TEST_LEASE_MS ?? 30_000);
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
    leaseMs,
    heartbeatMs: Math.floor(leaseMs / 4),
    sweeper: { intervalMs: 100 },
  },
);

// Ready once a job sent now reaches this process without a poll: send a probe to a queue only
// this process consumes, again and again, until one is handled.
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
  await new Promise((resolve) => setTimeout(resolve, 20));
}
await probe.stop();
send({ type: 'ready', pid: process.pid });

process.once('SIGTERM', async () => {
  await worker.stop({ graceMs: 5000 });
  await queue.close();
  await records.end();
  process.exit(0);
});
