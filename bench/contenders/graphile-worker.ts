import { Logger, makeWorkerUtils, type Runner, run, type WorkerUtils } from 'graphile-worker';
import type { BenchJob, Contender, ContenderInstance, WorkerMode } from './contender.js';
import { graphileRecurring } from './graphile-recurring.js';

/**
 * graphile-worker 0.17 at its best documented settings
 * (https://worker.graphile.org/docs/performance): LISTEN/NOTIFY wakes workers for new jobs;
 * `pollInterval` only finds jobs scheduled for later, so it is set low; the local queue and
 * batched completion are its throughput features, and trade latency for throughput.
 */
const SETTINGS: Record<WorkerMode, object> = {
  latency: { pollInterval: 100 },
  throughput: {
    pollInterval: 100,
    preset: {
      worker: { localQueue: { size: 17 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 },
    },
  },
};

const TASK = 'bench';
const silent = new Logger(() => () => undefined);

export const graphileWorker: Contender = {
  name: 'graphile-worker 0.17',
  id: 'graphile',
  settings:
    'LISTEN/NOTIFY, pollInterval 100 ms; throughput: localQueue.size = concurrency + 1, completeJobBatchDelay 0',
  async create(url: string): Promise<ContenderInstance> {
    const utils: WorkerUtils = await makeWorkerUtils({ connectionString: url, logger: silent });
    await utils.migrate();
    let runner: Runner | undefined;
    return {
      async freshProducer() {
        const producer = await makeWorkerUtils({ connectionString: url, logger: silent });
        return {
          async enqueueBulk(jobs) {
            await producer.addJobs(jobs.map((payload) => ({ identifier: TASK, payload })));
          },
          async close() {
            await producer.release();
          },
        };
      },
      async enqueueBulk(jobs) {
        await utils.addJobs(jobs.map((payload) => ({ identifier: TASK, payload })));
      },
      async enqueue(job) {
        await utils.addJob(TASK, job);
      },
      async enqueueAt(job, runAt) {
        await utils.addJob(TASK, job, { runAt });
      },
      async startWorker(sink, { mode, concurrency }) {
        runner = await run({
          connectionString: url,
          concurrency,
          maxPoolSize: concurrency + 4,
          noHandleSignals: true,
          logger: silent,
          taskList: {
            [TASK]: async (payload) => {
              sink(payload as BenchJob);
            },
          },
          ...SETTINGS[mode],
        });
      },
      async stopWorker() {
        await runner?.stop();
        runner = undefined;
      },
      async close() {
        await utils.release();
      },
      recurring: graphileRecurring(url),
    };
  },
};
