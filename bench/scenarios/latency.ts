import { summarize } from '../../src/dev/percentiles.js';
import { sleep, Tracker } from '../harness.js';
import type { Scenario } from './scenario.js';
import { capNote } from './throughput.js';

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
        await tracker.waitForSeq(seq, params.capMs);
        if (seq >= WARM_UP) samples.push((tracker.startedAt(seq) as number) - sentAt);
      }
    } finally {
      await instance.stopWorker();
    }
    const { p50, p90, p99, max } = summarize(samples);
    const wanted = params.idleJobs + WARM_UP;
    const notes =
      sent < wanted
        ? [
            `the ${params.idleBudgetMs / 1000} s budget allowed ${sent - WARM_UP} of ${params.idleJobs} samples`,
          ]
        : [];
    return {
      metrics: { p50, p90, p99, max, samples: samples.length },
      samples,
      problems: tracker.problems(0, sent),
      notes,
    };
  },
};

/**
 * A producer at a fixed rate (`steadyRate`, or `steadyRateHigh` for `high`) against a running
 * worker: enqueue call → handler start.
 */
export const steadyLoad = (high: boolean): Scenario => ({
  id: high ? 'steady-2000' : 'steady-load',
  title: `Latency under steady load${high ? ' (high rate)' : ''}`,
  async run(instance, params) {
    const tracker = new Tracker();
    await instance.startWorker(tracker.sink, { mode: 'latency', concurrency: params.concurrency });
    const rate = high ? params.steadyRateHigh : params.steadyRate;
    const total = rate * params.steadySeconds;
    const interval = 1000 / rate;
    const sentAt: number[] = [];
    const sends: Promise<void>[] = [];
    let handled = 0;
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
      handled = await tracker.settleFor(total, params.capMs);
    } finally {
      await instance.stopWorker();
    }
    // Jobs not started within the cap count at the cap: their real latency is worse still.
    const end = performance.now();
    const samples = sentAt.map((t, seq) => (tracker.startedAt(seq) ?? end) - t);
    const { p50, p99, max } = summarize(samples);
    const achievedRate = (total / ((sentAt[total - 1] as number) - start)) * 1000;
    return {
      metrics: { p50, p99, max, rate: achievedRate },
      samples,
      problems: tracker.problems(0, total, handled === total),
      notes:
        handled < total ? [`${capNote(handled, total, params.capMs)} (counted at the cap)`] : [],
    };
  },
});

/** Jobs due at spread-out times: how long after its run_at each one starts. */
export const delayed: Scenario = {
  id: 'delayed',
  title: 'Delayed jobs (start − run_at)',
  async run(instance, params) {
    const tracker = new Tracker();
    await instance.startWorker(tracker.sink, { mode: 'latency', concurrency: params.concurrency });
    // Due times are on the process's monotonic clock (handler starts are taken on it), sent as
    // wall-clock dates (the database's clock): timeOrigin + now() drifts from the wall clock by
    // milliseconds over a run of minutes, so the two are tied here, at the scenario's start.
    const epochNow = () => performance.timeOrigin + performance.now();
    const wallMinusEpoch = Date.now() - epochNow();
    const base = epochNow() + 500;
    const dueAt: number[] = [];
    let handled = 0;
    try {
      for (let seq = 0; seq < params.delayedJobs; seq++) {
        dueAt[seq] = base + (seq * params.delayedWindowMs) / params.delayedJobs;
        await instance.enqueueAt(
          { seq, sentAt: performance.now() },
          new Date((dueAt[seq] as number) + wallMinusEpoch),
        );
      }
      handled = await tracker.settleFor(params.delayedJobs, params.delayedWindowMs + params.capMs);
    } finally {
      await instance.stopWorker();
    }
    // Jobs not started within the cap count at the cap: their real lateness is worse still.
    const end = performance.now();
    const samples = dueAt.map(
      (due, seq) => performance.timeOrigin + (tracker.startedAt(seq) ?? end) - due,
    );
    const early = samples.filter((lateness) => lateness < -1).length;
    const { p50, p99, max } = summarize(samples);
    const complete = handled === params.delayedJobs;
    const problems = tracker.problems(0, params.delayedJobs, complete);
    if (early > 0) problems.push(`${early} delayed jobs started before their run_at`);
    const notes = complete
      ? []
      : [`${capNote(handled, params.delayedJobs, params.capMs)} (counted at the cap)`];
    return { metrics: { p50, p99, max }, samples, problems, notes };
  },
};
