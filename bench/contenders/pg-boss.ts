import PgBoss from 'pg-boss';
import type { BenchJob, Contender, ContenderInstance, WorkerMode } from './contender.js';
import { pgBossRecurring } from './pg-boss-recurring.js';

/**
 * pg-boss 10 (the newest that runs on Node 20) at its best documented settings. It polls (no
 * LISTEN): `pollingIntervalSeconds` 0.5 is the minimum it accepts. Concurrency comes from
 * `batchSize`: one fetch takes up to that many jobs, which the handler runs together.
 * (`notifyWorker()` can skip the poll, but only for a producer in the same process, so it is
 * not used: producers are usually elsewhere.)
 */
const SETTINGS: Record<WorkerMode, { pollingIntervalSeconds: number }> = {
  latency: { pollingIntervalSeconds: 0.5 },
  throughput: { pollingIntervalSeconds: 0.5 },
};

const QUEUE = 'bench';

export const pgBoss: Contender = {
  name: 'pg-boss 10',
  id: 'pg-boss',
  settings: 'polling every 0.5 s (its minimum), batchSize = concurrency, maintenance off',
  async create(url: string): Promise<ContenderInstance> {
    const boss = new PgBoss({ connectionString: url, max: 20, supervise: false, schedule: false });
    boss.on('error', () => undefined);
    await boss.start();
    await boss.createQueue(QUEUE);
    let workerId: string | undefined;
    return {
      async freshProducer() {
        // start() is pg-boss's documented step before a first send; migrate: false, as the
        // schema exists. It is not timed.
        const producer = new PgBoss({
          connectionString: url,
          max: 20,
          supervise: false,
          schedule: false,
          migrate: false,
        });
        producer.on('error', () => undefined);
        await producer.start();
        return {
          async enqueueBulk(jobs) {
            await producer.insert(jobs.map((data) => ({ name: QUEUE, data })));
          },
          close: () => producer.stop({ graceful: false, wait: true }),
        };
      },
      async enqueueBulk(jobs) {
        await boss.insert(jobs.map((data) => ({ name: QUEUE, data })));
      },
      async enqueue(job) {
        await boss.send(QUEUE, job);
      },
      async enqueueAt(job, runAt) {
        await boss.send(QUEUE, job, { startAfter: runAt });
      },
      async startWorker(sink, { mode, concurrency }) {
        workerId = await boss.work<BenchJob>(
          QUEUE,
          { ...SETTINGS[mode], batchSize: concurrency },
          async (jobs) => {
            for (const job of jobs) sink(job.data);
          },
        );
      },
      async startBatchWorker(sink, { batchSize }) {
        workerId = await boss.work<BenchJob>(
          QUEUE,
          { ...SETTINGS.throughput, batchSize },
          async (jobs) => {
            for (const job of jobs) sink(job.data);
          },
        );
      },
      async stopWorker() {
        if (workerId !== undefined) await boss.offWork({ id: workerId });
        workerId = undefined;
      },
      close: () => boss.stop({ graceful: false, wait: true }),
      recurring: pgBossRecurring(url),
    };
  },
};
