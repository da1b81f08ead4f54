import { expect, test } from 'vitest';
import { useTestQueue } from '../helpers/database.js';
import { useWorkerProcesses, type WorkerProcess } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const { db, sql, queue } = await useTestQueue();
const spawnProcesses = useWorkerProcesses(db.url, sql);

async function spawn(env: Record<string, string>): Promise<WorkerProcess> {
  const [child] = await spawnProcesses(env);
  return child as WorkerProcess;
}

test('4 worker processes over 5,000 jobs handle each job exactly once', async () => {
  const workers = await Promise.all([1, 2, 3, 4].map(() => spawn({ TEST_QUEUE: 'fleet' })));
  for (let i = 0; i < 5000; i += 500) {
    await queue.sendBatch(
      'fleet',
      Array.from({ length: 500 }, (_, k) => ({ payload: { n: i + k } })),
    );
  }
  await waitFor(
    async () => (await queue.stats('fleet')).counts.completed === 5000,
    '5,000 completions',
    60_000,
  );
  const { rows } = await sql.query(
    'SELECT count(*)::int AS runs, count(DISTINCT job_id)::int AS jobs, count(DISTINCT pid)::int AS pids FROM handled',
  );
  expect(rows[0]).toEqual({ runs: 5000, jobs: 5000, pids: 4 });
  const stats = await queue.stats('fleet');
  expect(stats.counts).toMatchObject({ pending: 0, running: 0, dead: 0 });
  await Promise.all(workers.map((worker) => worker.stop()));
});

test('a worker SIGKILLed mid-job: its job runs again in another process once the lease expires, none lost', async () => {
  const doomed = await spawn({ TEST_QUEUE: 'crash', TEST_LEASE_MS: '800', TEST_CONCURRENCY: '2' });
  const { id: held } = await queue.send('crash', { hold: true });
  await doomed.waitFor((message) => message.type === 'started' && message.id === held);
  const rest = await queue.sendBatch(
    'crash',
    Array.from({ length: 50 }, (_, n) => ({ payload: { n } })),
  );
  await doomed.kill();

  // The survivor's own leases are long: a heartbeat it misses on a loaded machine must not
  // cost a third attempt. The doomed job's lease (800 ms) was set by its claim.
  const survivor = await spawn({ TEST_QUEUE: 'crash', TEST_LEASE_MS: '10000' });
  await waitFor(
    async () => (await queue.stats('crash')).counts.completed === 51,
    'all 51 jobs',
    60_000,
  );

  const job = await queue.getJob<unknown, { pid: number }>(held);
  expect(job).toMatchObject({ state: 'completed', attempts: 2 });
  expect(job?.result?.pid).toBe(survivor.child.pid);
  expect(job?.errors[0]).toMatchObject({ code: 'LEASE_EXPIRED', attempt: 1 });
  const { rows } = await sql.query(
    'SELECT count(DISTINCT job_id)::int AS jobs FROM handled WHERE job_id = ANY($1)',
    [[held, ...rest.map((r) => r.id)]],
  );
  expect(rows[0].jobs).toBe(51);
  await survivor.stop();
});
