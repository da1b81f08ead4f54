import type { Contender, ContenderInstance } from '../contenders/contender.js';

/** The sizes of one run: `full` by default, `quick` with `--quick`. */
export interface BenchParams {
  concurrency: number;
  idleJobs: number;
  /** Idle latency stops early past this, for contenders that poll slowly. */
  idleBudgetMs: number;
  drainJobs: number;
  bulkJobs: number;
  bulkChunk: number;
  singleJobs: number;
  singleInFlight: number;
  steadyRate: number;
  /** The second, higher rate of the steady-load scenarios. */
  steadyRateHigh: number;
  steadySeconds: number;
  backlogSmall: number;
  backlogBig: number;
  delayedJobs: number;
  delayedWindowMs: number;
  batchJobs: number;
  batchSize: number;
  /** Schedule counts of the schedules scenario, when not each contender's own. */
  scheduleScales?: number[];
  /**
   * Longest wait for a scenario step. A contender that has not finished by then is measured on
   * what it did (and the result carries a note): a slow contender is slow, not broken.
   */
  capMs: number;
}

export const FULL: BenchParams = {
  concurrency: 16,
  idleJobs: 500,
  idleBudgetMs: 30_000,
  drainJobs: 10_000,
  bulkJobs: 50_000,
  bulkChunk: 10_000,
  singleJobs: 5_000,
  singleInFlight: 32,
  steadyRate: 500,
  steadyRateHigh: 2_000,
  steadySeconds: 10,
  backlogSmall: 10_000,
  backlogBig: 1_000_000,
  delayedJobs: 200,
  delayedWindowMs: 3_000,
  batchJobs: 10_000,
  batchSize: 100,
  capMs: 120_000,
};

export const QUICK: BenchParams = {
  ...FULL,
  idleJobs: 100,
  idleBudgetMs: 4_000,
  drainJobs: 2_000,
  bulkJobs: 10_000,
  singleJobs: 1_000,
  steadySeconds: 2,
  backlogSmall: 2_000,
  backlogBig: 40_000,
  delayedJobs: 40,
  delayedWindowMs: 1_000,
  batchJobs: 2_000,
  capMs: 8_000,
};

/** What a scenario measured for one contender. */
export interface Measurement {
  /** Named figures: ms for latencies, jobs/s for rates. */
  metrics: Record<string, number>;
  /** Latency samples in ms, for the CDF chart. */
  samples?: number[];
  /** Exactly-once violations and failures: printed as errors for the contender. */
  problems: string[];
  /** Remarks that are not errors, e.g. a contender that did not finish within the cap. */
  notes?: string[];
  /** Set when the contender has no API for the scenario. */
  unsupported?: string;
}

/** One benchmark scenario. */
export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** Runs on `instance`, connected to the fresh database at `url`. */
  run(
    instance: ContenderInstance,
    params: BenchParams,
    url: string,
    contender: Contender,
  ): Promise<Measurement>;
}
