/**
 * What every contender of the benchmark offers, through its own documented public API only.
 * A job carries a sequence number (to check exactly-once) and the time its enqueue call began.
 */
export interface BenchJob {
  /** Unique within a run. */
  seq: number;
  /** `performance.now()` when the enqueue call started. */
  sentAt: number;
}

/** Which settings a worker starts with: each adapter lists them at its top. */
export type WorkerMode = 'latency' | 'throughput';

/** Called by the contender's worker when a handler starts a job. */
export type JobSink = (job: BenchJob) => void;

/**
 * A producer made from nothing, as a user's process makes one: a new client (a new `Queue` for
 * pgpulse) that has not yet sent anything. Measures the first call, connection included.
 */
export interface FreshProducer {
  enqueueBulk(jobs: BenchJob[]): Promise<void>;
  close(): Promise<void>;
}

/** One contender connected to its own fresh database. */
export interface ContenderInstance {
  /**
   * A new producer on the same database. Work the contender's documented API needs before its
   * first send (pg-boss's `start()`, graphile-worker's `makeWorkerUtils`) is done here, untimed.
   */
  freshProducer(): Promise<FreshProducer>;
  /** Enqueue many jobs with the contender's bulk API. */
  enqueueBulk(jobs: BenchJob[]): Promise<void>;
  /** Enqueue one job. */
  enqueue(job: BenchJob): Promise<void>;
  /** Enqueue one job due at `runAt`. */
  enqueueAt(job: BenchJob, runAt: Date): Promise<void>;
  /** Start a worker with `concurrency` handlers; each job handled calls `sink` once. */
  startWorker(sink: JobSink, options: { mode: WorkerMode; concurrency: number }): Promise<void>;
  /** Start a batch consumer, when the contender has a batch API. */
  startBatchWorker?(sink: JobSink, options: { batchSize: number }): Promise<void>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
  /** Recurring jobs (cron, intervals), when the contender has them. */
  recurring?: RecurringApi;
}

/** What a run of recurring jobs saw. */
export interface RecurringRun {
  /** For each tick handled: its handler's start minus the tick's due time, in ms. */
  lateness: number[];
  /** Ticks whose job a handler started more than once. */
  duplicates: number;
  /** Where the contender records it: each tick's job start minus its tick, on the database's clock. */
  recorded?: number[];
}

/** A contender's recurring jobs, driven by the schedules scenario. */
export interface RecurringApi {
  /** The schedule counts it is measured at. */
  readonly scales: readonly number[];
  /** Its finest tick resolution, for the notes (e.g. `1 min` for a minute-level crontab). */
  readonly resolution: string;
  /**
   * Creates `count` schedules none of which is due for an hour, starts a worker, and resolves
   * with what `sample()` measured (the statements the database saw while nothing was due); then
   * stops the worker and removes the schedules.
   */
  idle(
    count: number,
    sample: () => Promise<Record<string, number>>,
  ): Promise<Record<string, number>>;
  /**
   * Creates `count` schedules with ticks spread evenly in time (as finely as the contender
   * allows), starts a worker, and records the lateness of every tick's job for `windowMs` after
   * the first tick; then stops the worker and removes the schedules.
   */
  measure(count: number, windowMs: number): Promise<RecurringRun>;
}

/** A contender of the benchmark. */
export interface Contender {
  /** Row name in the results. */
  readonly name: string;
  /** Short id for `--contenders`. */
  readonly id: string;
  /** One line describing the settings used, printed with the results. */
  readonly settings: string;
  /** When set, the scenarios this contender takes part in (a variant shown where it differs). */
  readonly scenarios?: readonly string[];
  /** Installs the contender's schema in the empty database at `url` and connects. */
  create(url: string): Promise<ContenderInstance>;
}
