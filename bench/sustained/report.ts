import type { LatencySummary } from '../../src/dev/percentiles.js';
import type { RetentionPass } from './retention-passes.js';
import type { ServerSample, TableCounters } from './sampler.js';

/** A sample of the run: the server's figures and the trial's own counts at that moment. */
export interface Sample extends ServerSample {
  /** `Date.now()`. */
  readonly at: number;
  /** Seconds since the producer started. */
  readonly t: number;
  /** Jobs sent, and handled (handler started, per the workers' reports), so far. */
  readonly sent: number;
  readonly handled: number;
  /** Send → start of the jobs handled since the previous sample. */
  readonly latency: LatencySummary | null;
  /** The slowest `sendBatch` since the previous sample, in ms. */
  readonly slowestSendMs: number;
}

/** The figures of one window of a run (the first or the last minute, or tenth in quick mode). */
export interface WindowSummary {
  /** Seconds since the start. */
  readonly from: number;
  readonly to: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly sentPerS: number;
  readonly handledPerS: number;
  /** Mean execution time of the claim statement (`pg_stat_statements`). */
  readonly claimMeanMs: number;
  /** Gauges: the mean over the window's samples. */
  readonly jobsTotalBytes: number;
  readonly jobsIndexBytes: number;
  readonly jobsDeadTuples: number;
  readonly jobsLiveTuples: number;
  readonly doneTotalBytes: number;
  readonly doneIndexBytes: number;
  readonly donePartitions: number;
  readonly doneDefaultRows: number;
  /** Counters: what happened during the window. */
  readonly jobsAutovacuums: number;
  readonly jobsAutoanalyzes: number;
  readonly jobsAutovacuumMs: number | null;
  readonly doneAutovacuums: number;
  readonly doneAutoanalyzes: number;
  readonly doneAutovacuumMs: number | null;
  readonly walBytesPerJob: number;
  readonly walRecordsPerJob: number;
  readonly walFullPageImages: number;
  readonly checkpoints: number;
  readonly retentionPasses: number;
  readonly retentionMeanMs: number;
  readonly retentionMaxMs: number;
  readonly retentionRowsDeleted: number;
  /** Of those, rows deleted one by one (the rest went with dropped partitions). */
  readonly retentionRowsOneByOne: number;
  readonly partitionsDropped: number;
}

const mean = (values: number[]) => values.reduce((s, x) => s + x, 0) / (values.length || 1);

/**
 * Sums over tables of what a counter gained from sample `a` to sample `b`. A table's value at a
 * sample is its value in the latest sample up to it that lists the table (0 before it existed),
 * so that a partition dropped during the window still counts the work done on it.
 */
function counterDelta(
  samples: Sample[],
  a: number,
  b: number,
  tablesOf: (sample: Sample) => TableCounters[],
  read: (counters: TableCounters) => number | null,
): number | null {
  const asOf = (index: number): Map<number, number | null> => {
    const values = new Map<number, number | null>();
    for (let i = 0; i <= index; i++) {
      for (const table of tablesOf(samples[i] as Sample)) values.set(table.relid, read(table));
    }
    return values;
  };
  const before = asOf(a);
  let total = 0;
  for (const [relid, value] of asOf(b)) {
    if (value === null) return null;
    total += value - (before.get(relid) ?? 0);
  }
  return total;
}

/** The figures of the window from sample `a` to sample `b`; `latency` over its handled jobs. */
export function summarizeWindow(
  samples: Sample[],
  passes: RetentionPass[],
  a: number,
  b: number,
  latency: LatencySummary,
): WindowSummary {
  const first = samples[a] as Sample;
  const last = samples[b] as Sample;
  const inside = samples.slice(a, b + 1);
  const seconds = (last.at - first.at) / 1000;
  const handled = last.handled - first.handled;
  const inWindow = passes.filter((p) => p.at >= first.at && p.at < last.at);
  const jobs = (s: Sample) => (s.jobs.counters === null ? [] : [s.jobs.counters]);
  const done = (s: Sample) => s.done.counters;
  const claimCalls = last.claim.calls - first.claim.calls;
  return {
    from: first.t,
    to: last.t,
    latencyP50Ms: latency.p50,
    latencyP99Ms: latency.p99,
    sentPerS: (last.sent - first.sent) / seconds,
    handledPerS: handled / seconds,
    claimMeanMs:
      claimCalls === 0 ? Number.NaN : (last.claim.totalMs - first.claim.totalMs) / claimCalls,
    jobsTotalBytes: mean(inside.map((s) => s.jobs.totalBytes)),
    jobsIndexBytes: mean(inside.map((s) => s.jobs.indexBytes)),
    jobsDeadTuples: mean(inside.map((s) => s.jobs.counters?.dead ?? 0)),
    jobsLiveTuples: mean(inside.map((s) => s.jobs.counters?.live ?? 0)),
    doneTotalBytes: mean(inside.map((s) => s.done.totalBytes)),
    doneIndexBytes: mean(inside.map((s) => s.done.indexBytes)),
    donePartitions: mean(inside.map((s) => s.done.partitions)),
    doneDefaultRows: mean(inside.map((s) => s.done.defaultRows)),
    jobsAutovacuums: counterDelta(samples, a, b, jobs, (c) => c.autovacuums) ?? 0,
    jobsAutoanalyzes: counterDelta(samples, a, b, jobs, (c) => c.autoanalyzes) ?? 0,
    jobsAutovacuumMs: counterDelta(samples, a, b, jobs, (c) => c.autovacuumMs),
    doneAutovacuums: counterDelta(samples, a, b, done, (c) => c.autovacuums) ?? 0,
    doneAutoanalyzes: counterDelta(samples, a, b, done, (c) => c.autoanalyzes) ?? 0,
    doneAutovacuumMs: counterDelta(samples, a, b, done, (c) => c.autovacuumMs),
    walBytesPerJob: (last.walBytes - first.walBytes) / handled,
    walRecordsPerJob: (last.walRecords - first.walRecords) / handled,
    walFullPageImages: last.walFpi - first.walFpi,
    checkpoints: last.checkpoints - first.checkpoints,
    retentionPasses: inWindow.length,
    retentionMeanMs: mean(inWindow.map((p) => p.ms)),
    retentionMaxMs: Math.max(0, ...inWindow.map((p) => p.ms)),
    retentionRowsDeleted: inWindow.reduce((s, p) => s + p.deleted, 0),
    retentionRowsOneByOne: inWindow.reduce((s, p) => s + p.deleted - p.rowsInDroppedPartitions, 0),
    partitionsDropped: inWindow.reduce((s, p) => s + p.partitions, 0),
  };
}
