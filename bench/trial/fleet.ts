import { fileURLToPath } from 'node:url';
import { type Child, forkChild } from './children.js';

const script = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** One report of a worker process (see worker.ts): what it did since its previous report. */
export interface WorkerReport {
  readonly pid: number;
  /** `Date.now()` in the parent when the report arrived. */
  readonly at: number;
  readonly handled: number;
  /** Send → handler start, in ms, of the jobs handled since the previous report. */
  readonly latencies: number[];
  /** Epoch ms of the process's first and latest handler start so far. */
  readonly firstStartAt: number | null;
  readonly lastStartAt: number | null;
}

/** What every worker process of a fleet runs. */
export interface FleetSettings {
  readonly url: string;
  readonly queue: string;
  readonly processes: number;
  readonly concurrency: number;
  /** The queue's `poolSize`; the default (10) when undefined. */
  readonly poolSize?: number | undefined;
}

/** Worker processes consuming one queue, and everything they reported. */
export class Fleet {
  readonly #children: Child[] = [];
  readonly #reports: WorkerReport[] = [];
  readonly #log: (line: string) => void;
  #stopping: Promise<void> | undefined;

  private constructor(log: (line: string) => void) {
    this.#log = log;
  }

  /**
   * Forks the processes (one after the other: loading takes seconds on a busy machine), starts
   * them together, and resolves once every one consumes.
   */
  static async start(settings: FleetSettings, log: (line: string) => void): Promise<Fleet> {
    const fleet = new Fleet(log);
    const env: Record<string, string> = {
      BENCH_DATABASE_URL: settings.url,
      BENCH_QUEUE: settings.queue,
      BENCH_CONCURRENCY: String(settings.concurrency),
    };
    if (settings.poolSize !== undefined) env.BENCH_POOL_SIZE = String(settings.poolSize);
    try {
      for (let i = 0; i < settings.processes; i++) {
        const child = await forkChild(script, env, log);
        child.on('report', (message) =>
          fleet.#reports.push({ ...(message as unknown as WorkerReport), pid: child.pid }),
        );
        fleet.#children.push(child);
      }
      for (const child of fleet.#children) child.send({ type: 'start' });
      await Promise.all(fleet.#children.map((child) => child.expect('ready')));
      return fleet;
    } catch (error) {
      await fleet.stop();
      throw error;
    }
  }

  get pids(): number[] {
    return this.#children.map((child) => child.pid);
  }

  /** Jobs handled over every report received so far. */
  handled(): number {
    return this.#reports.reduce((sum, report) => sum + report.handled, 0);
  }

  /** Reports that arrived in `(from, to]` (`Date.now()` values). */
  reportsBetween(from: number, to: number): WorkerReport[] {
    return this.#reports.filter((report) => report.at > from && report.at <= to);
  }

  /** Resolves once `count` jobs were handled, polling; rejects after `timeoutMs`. */
  async waitForHandled(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.handled() < count) {
      if (Date.now() > deadline) {
        throw new Error(`only ${this.handled()} of ${count} jobs were handled in ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops every process gracefully; each sends its last report first. Memoised. */
  stop(): Promise<void> {
    this.#stopping ??= Promise.all(this.#children.map((child) => child.stop())).then(() =>
      this.#log(`[trial] ${this.#children.length} worker processes stopped`),
    );
    return this.#stopping;
  }
}
