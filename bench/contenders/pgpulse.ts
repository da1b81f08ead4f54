import { bufferTime, filter, mergeMap } from 'rxjs';
import { Queue, type Worker } from '../../src/index.js';
import type { BenchJob, Contender, ContenderInstance } from './contender.js';
import { pgpulseRecurring } from './pgpulse-recurring.js';

/** Settings, per mode. The same in both: pgpulse has no latency/throughput trade-off to make. */
const SETTINGS = {
  poolSize: 20,
  /** Fallback poll only; notifications and timers do the waking. */
  pollIntervalMs: 1000,
  batchMaxWaitMs: 10,
} as const;

const QUEUE = 'bench';

/**
 * The scenarios where `work()`'s opt-in prefetch changes anything: it only matters when jobs
 * wait for a free handler.
 */
const PREFETCH_SCENARIOS = ['drain', 'steady-load', 'steady-2000'] as const;

/**
 * pgpulse through `queue.work()` (`via: 'work'`, with `prefetch` jobs held beyond the running
 * ones when given) or `queue.observe()` + RxJS (`via: 'observe'`).
 */
export function pgpulse(via: 'work' | 'observe', prefetch = 0): Contender {
  const work = `queue.work, concurrency 16${prefetch > 0 ? `, prefetch ${prefetch}` : ''}`;
  return {
    name:
      via === 'observe'
        ? 'pgpulse (observe)'
        : prefetch > 0
          ? 'pgpulse (prefetch)'
          : 'pgpulse (work)',
    id: via === 'observe' ? 'pgpulse-observe' : prefetch > 0 ? 'pgpulse-prefetch' : 'pgpulse',
    settings:
      via === 'work'
        ? `${work}, pool ${SETTINGS.poolSize}, LISTEN + ${SETTINGS.pollIntervalMs} ms poll`
        : 'queue.observe({ prefetch: 16 }).pipe(mergeMap(ack, 16)); batches: bufferTime(10 ms, 100)',
    ...(prefetch > 0 ? { scenarios: PREFETCH_SCENARIOS } : {}),
    async create(url: string): Promise<ContenderInstance> {
      const queue = new Queue({ connectionString: url, poolSize: SETTINGS.poolSize });
      await queue.migrate();
      let stop: () => Promise<void> = async () => undefined;
      return {
        async freshProducer() {
          const producer = new Queue({ connectionString: url, poolSize: SETTINGS.poolSize });
          return {
            async enqueueBulk(jobs) {
              await producer.sendBatch(
                QUEUE,
                jobs.map((payload) => ({ payload })),
              );
            },
            close: () => producer.close(),
          };
        },
        async enqueueBulk(jobs) {
          await queue.sendBatch(
            QUEUE,
            jobs.map((payload) => ({ payload })),
          );
        },
        async enqueue(job) {
          await queue.send(QUEUE, job);
        },
        async enqueueAt(job, runAt) {
          await queue.send(QUEUE, job, { runAt });
        },
        async startWorker(sink, { concurrency }) {
          if (via === 'work') {
            const worker: Worker = queue.work<BenchJob>(QUEUE, (job) => sink(job.payload), {
              concurrency,
              prefetch,
              pollIntervalMs: SETTINGS.pollIntervalMs,
            });
            stop = () => worker.stop();
          } else {
            const subscription = queue
              .observe<BenchJob>(QUEUE, {
                prefetch: concurrency,
                pollIntervalMs: SETTINGS.pollIntervalMs,
              })
              .pipe(
                mergeMap((job) => {
                  sink(job.payload);
                  return job.ack();
                }, concurrency),
              )
              .subscribe();
            stop = async () => subscription.unsubscribe();
          }
        },
        async startBatchWorker(sink, { batchSize }) {
          if (via === 'work') {
            const worker = queue.workBatch<BenchJob>(
              QUEUE,
              (jobs) => {
                for (const job of jobs) sink(job.payload);
                return undefined;
              },
              {
                batchSize,
                maxWaitMs: SETTINGS.batchMaxWaitMs,
                pollIntervalMs: SETTINGS.pollIntervalMs,
              },
            );
            stop = () => worker.stop();
          } else {
            // Batches composed with RxJS: bufferTime over the job stream, acked together.
            const subscription = queue
              .observe<BenchJob>(QUEUE, {
                prefetch: batchSize * 2,
                pollIntervalMs: SETTINGS.pollIntervalMs,
              })
              .pipe(
                bufferTime(SETTINGS.batchMaxWaitMs, null, batchSize),
                filter((batch) => batch.length > 0),
                mergeMap((batch) => {
                  for (const job of batch) sink(job.payload);
                  return Promise.all(batch.map((job) => job.ack()));
                }, 2),
              )
              .subscribe();
            stop = async () => subscription.unsubscribe();
          }
        },
        async stopWorker() {
          await stop();
        },
        close: () => queue.close(),
        ...(via === 'work' ? { recurring: pgpulseRecurring(queue) } : {}),
      };
    },
  };
}
