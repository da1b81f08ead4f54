import { summarize } from '../../src/dev/percentiles.js';
import { sleep, Tracker } from '../harness.js';
import type { Scenario } from './scenario.js';

const WARM_UP = 5;

/** Jobs enqueued one at a time, each once the previous one started: enqueue call → handler start. */
export const idleLatency: Scenario = {
  id: 'idle-latency',
  title: 'Idle latency (enqueue call → handler start)',
  async run(instance, params) {
    const tracker = new Tracker();
    await instance.startWorker(tracker.sink, { mode: 'latency', concurrency: params.concurrency });
    const samples: number[] = [];
    const deadline = performance.now() + params.idleBudgetMs;
    let sent = 0;
    try {
      for (let seq = 0; seq < params.idleJobs + WARM_UP && performance.now() < deadline; seq++) {
        const sentAt = performance.now();
        await instance.enqueue({ seq, sentAt });
        sent++;
        await tracker.waitForSeq(seq, params.timeoutMs);
        if (seq >= WARM_UP) samples.push((tracker.startedAt(seq) as number) - sentAt);
      }
    } finally {
      await instance.stopWorker();
    }
    const { p50, p90, p99, max } = summarize(samples);
    return {
      metrics: { p50, p90, p99, max, samples: samples.length },
      samples,
      problems: tracker.problems(0, sent),
    };
  },
};

/** A producer at a fixed rate against a running worker: enqueue call → handler start. */
export const steadyLoad: Scenario = {
  id: 'steady-load',
  title: 'Latency under steady load',
  async run(instance, params) {
    const tracker = new Tracker();
    await instance.startWorker(tracker.sink, { mode: 'latency', concurrency: params.concurrency });
    const total = params.steadyRate * params.steadySeconds;
    const interval = 1000 / params.steadyRate;
    const sentAt: number[] = [];
    const sends: Promise<void>[] = [];
    const start = performance.now();
    try {
      for (let seq = 0; seq < total; seq++) {
        const due = start + seq * interval;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait);
        sentAt[seq] = performance.now();
        sends.push(instance.enqueue({ seq, sentAt: sentAt[seq] as number }));
      }
      await Promise.all(sends);
      await tracker.waitForCount(total, params.timeoutMs);
    } finally {
      await instance.stopWorker();
    }
    const samples = sentAt.map((t, seq) => (tracker.startedAt(seq) as number) - t);
    const { p50, p99, max } = summarize(samples);
    const achievedRate = (total / ((sentAt[total - 1] as number) - start)) * 1000;
    return {
      metrics: { p50, p99, max, rate: achievedRate },
      samples,
      problems: tracker.problems(0, total),
    };
  },
};

/** Jobs due at spread-out times: how long after its run_at each one starts. */
export const delayed: Scenario = {
  id: 'delayed',
  title: 'Delayed jobs (start − run_at)',
  async run(instance, params) {
    const tracker = new Tracker();
    await instance.startWorker(tracker.sink, { mode: 'latency', concurrency: params.concurrency });
    const epochNow = () => performance.timeOrigin + performance.now();
    const base = epochNow() + 500;
    const dueAt: number[] = [];
    try {
      for (let seq = 0; seq < params.delayedJobs; seq++) {
        dueAt[seq] = base + (seq * params.delayedWindowMs) / params.delayedJobs;
        await instance.enqueueAt(
          { seq, sentAt: performance.now() },
          new Date(dueAt[seq] as number),
        );
      }
      await tracker.waitForCount(params.delayedJobs, params.timeoutMs);
    } finally {
      await instance.stopWorker();
    }
    const samples = dueAt.map(
      (due, seq) => performance.timeOrigin + (tracker.startedAt(seq) as number) - due,
    );
    const early = samples.filter((lateness) => lateness < -1).length;
    const { p50, p99, max } = summarize(samples);
    const problems = tracker.problems(0, params.delayedJobs);
    if (early > 0) problems.push(`${early} delayed jobs started before their run_at`);
    return { metrics: { p50, p99, max }, samples, problems };
  },
};
