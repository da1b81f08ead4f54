import type { ContenderInstance } from '../contenders/contender.js';
import { inChunks, jobs, settleDatabase, Tracker } from '../harness.js';
import type { BenchParams, Measurement, Scenario } from './scenario.js';

/** Drains `count` jobs already enqueued, with the normal or the batch worker. */
async function drain(
  instance: ContenderInstance,
  params: BenchParams,
  count: number,
  batch: boolean,
): Promise<Measurement> {
  await inChunks(count, params.bulkChunk, (chunk) => instance.enqueueBulk(chunk));
  const tracker = new Tracker();
  if (batch) {
    if (instance.startBatchWorker === undefined)
      return { metrics: {}, problems: [], unsupported: 'no batch API' };
    await instance.startBatchWorker(tracker.sink, { batchSize: params.batchSize });
  } else {
    await instance.startWorker(tracker.sink, {
      mode: 'throughput',
      concurrency: params.concurrency,
    });
  }
  try {
    const handled = await tracker.settleFor(count, params.capMs);
    return {
      metrics: { jobsPerSec: tracker.rateOfFirst(handled) },
      problems: tracker.problems(0, count, handled === count),
      notes: handled < count ? [capNote(handled, count, params.capMs)] : [],
    };
  } finally {
    await instance.stopWorker();
  }
}

/** N jobs enqueued in bulk, then drained with concurrency 16 by a no-op handler. */
export const drainThroughput: Scenario = {
  id: 'drain',
  title: 'Drain throughput',
  run: (instance, params) => drain(instance, params, params.drainJobs, false),
};

/** The same drain through the contender's batch consumption API. */
export const batchThroughput: Scenario = {
  id: 'batch',
  title: 'Batch consumption throughput',
  run: (instance, params) => drain(instance, params, params.batchJobs, true),
};

/** Fresh producers measured for the cold figure; the median is reported. */
const COLD_ROUNDS = 3;

/**
 * Enqueue only. Cold: the first bulk call (`bulkChunk` jobs) of a producer made from nothing, as
 * a process that just started meets it, connection included; the median of three producers.
 * Warm: after one untimed call, bulk calls of `bulkChunk` up to `bulkJobs`. Then single sends
 * with 32 in flight.
 */
export const enqueueThroughput: Scenario = {
  id: 'enqueue',
  title: 'Enqueue throughput',
  async run(instance, params) {
    let next = 0;
    const cold: number[] = [];
    for (let round = 0; round < COLD_ROUNDS; round++) {
      const producer = await instance.freshProducer();
      try {
        const batch = jobs(next, params.bulkChunk);
        next += params.bulkChunk;
        const start = performance.now();
        await producer.enqueueBulk(batch);
        cold.push((params.bulkChunk / (performance.now() - start)) * 1000);
      } finally {
        await producer.close();
      }
    }
    await instance.enqueueBulk(jobs(next, params.bulkChunk));
    next += params.bulkChunk;
    let start = performance.now();
    await inChunks(params.bulkJobs, params.bulkChunk, (chunk) => instance.enqueueBulk(chunk), next);
    const bulk = (params.bulkJobs / (performance.now() - start)) * 1000;
    next += params.bulkJobs;
    const end = next + params.singleJobs;
    start = performance.now();
    await Promise.all(
      Array.from({ length: params.singleInFlight }, async () => {
        while (next < end) {
          await instance.enqueue({ seq: next++, sentAt: performance.now() });
        }
      }),
    );
    const single = (params.singleJobs / (performance.now() - start)) * 1000;
    const coldMedian = [...cold].sort((a, b) => a - b)[Math.floor(COLD_ROUNDS / 2)] as number;
    return {
      metrics: { bulkColdPerSec: coldMedian, bulkPerSec: bulk, singlePerSec: single },
      problems: [],
    };
  },
};

/**
 * Claim cost against backlog size: the drain rate of the first `backlogSmall` jobs with a
 * backlog of `backlogSmall`, then with a backlog of `backlogBig` (every contender claims in its
 * own order). The database is vacuumed and analysed after each load, for every contender alike.
 */
export const backlogScaling: Scenario = {
  id: 'backlog',
  title: 'Backlog scaling',
  async run(instance, params, url) {
    const small = params.backlogSmall;
    await inChunks(small, params.bulkChunk, (chunk) => instance.enqueueBulk(chunk));
    await settleDatabase(url);
    const smallTracker = new Tracker();
    await instance.startWorker(smallTracker.sink, {
      mode: 'throughput',
      concurrency: params.concurrency,
    });
    let smallRate: number;
    const notes: string[] = [];
    try {
      const handled = await smallTracker.settleFor(small, params.capMs);
      if (handled < small) notes.push(`small backlog: ${capNote(handled, small, params.capMs)}`);
      smallRate = smallTracker.rateOfFirst(handled);
    } finally {
      await instance.stopWorker();
    }
    await inChunks(params.backlogBig, 10_000, (chunk) => instance.enqueueBulk(chunk), small);
    await settleDatabase(url);
    const bigTracker = new Tracker();
    await instance.startWorker(bigTracker.sink, {
      mode: 'throughput',
      concurrency: params.concurrency,
    });
    let bigRate: number;
    try {
      const handled = await bigTracker.settleFor(small, params.capMs);
      if (handled < small) notes.push(`big backlog: ${capNote(handled, small, params.capMs)}`);
      bigRate = bigTracker.rateOfFirst(handled);
    } finally {
      await instance.stopWorker();
    }
    // Jobs of the small backlog left over by a capped contender are not lost, only slow.
    const problems = smallTracker.problems(0, small, notes.length === 0);
    if (bigTracker.duplicates > 0) {
      problems.push(`${bigTracker.duplicates} jobs ran more than once`);
    }
    return {
      metrics: { smallPerSec: smallRate, bigPerSec: bigRate, ratio: bigRate / smallRate },
      problems,
      notes,
    };
  },
};

/** Says that a contender did not finish within the cap. */
export function capNote(handled: number, count: number, capMs: number): string {
  return `only ${handled.toLocaleString('en')} of ${count.toLocaleString('en')} jobs started within the ${capMs / 1000} s cap`;
}
