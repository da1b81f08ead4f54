import { createPostgresBackend, Queue, Worker } from 'bullmq';
import type { BenchJob, Contender, ContenderInstance } from './contender.js';

/**
 * BullMQ 6 on its PostgreSQL backend (`createPostgresBackend`), which waits for jobs with
 * LISTEN/NOTIFY. Settings: `concurrency` per worker, job retention left at its defaults.
 */
const SETTINGS = { migrate: true } as const;

const QUEUE = 'bench';

export const bullmq: Contender = {
  name: 'BullMQ 6 (PostgreSQL)',
  id: 'bullmq',
  settings: 'createPostgresBackend, LISTEN/NOTIFY wait, Worker concurrency, defaults otherwise',
  async create(url: string): Promise<ContenderInstance> {
    const connection = { connectionString: url, ...SETTINGS };
    const queue = new Queue(QUEUE, { connection }, createPostgresBackend);
    await queue.waitUntilReady();
    let worker: { close(): Promise<void> } | undefined;
    return {
      async freshProducer() {
        const producer = new Queue(
          QUEUE,
          { connection: { connectionString: url, migrate: false } },
          createPostgresBackend,
        );
        return {
          async enqueueBulk(jobs) {
            await producer.addBulk(jobs.map((data) => ({ name: 'job', data })));
          },
          close: () => producer.close(),
        };
      },
      async enqueueBulk(jobs) {
        await queue.addBulk(jobs.map((data) => ({ name: 'job', data })));
      },
      async enqueue(job) {
        await queue.add('job', job);
      },
      async enqueueAt(job, runAt) {
        await queue.add('job', job, { delay: Math.max(0, runAt.getTime() - Date.now()) });
      },
      async startWorker(sink, { concurrency }) {
        const started = new Worker(
          QUEUE,
          async (job) => {
            sink(job.data as BenchJob);
          },
          { connection, concurrency },
          createPostgresBackend,
        );
        await started.waitUntilReady();
        worker = started;
      },
      async stopWorker() {
        await worker?.close();
        worker = undefined;
      },
      close: () => queue.close(),
    };
  },
};
