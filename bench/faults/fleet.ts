import { describeExit, launchWorker, startWorker, type WorkerProcess } from './worker-processes.js';

/**
 * Worker processes that consume one queue, some of which the trial kills and replaces. Loading a
 * process's code takes 4 to 8 s on the 2-core machine under load, longer than the interval
 * between kills, so replacements are launched several kills ahead and only started at their
 * kill: the number of consuming processes stays where it was.
 */
export class Fleet {
  readonly #env: Record<string, string>;
  readonly #log: (line: string) => void;
  readonly #workers: WorkerProcess[] = [];
  readonly #spares: Promise<WorkerProcess>[] = [];
  readonly #starting: Promise<void>[] = [];
  readonly #killed = new Set<WorkerProcess>();

  constructor(env: Record<string, string>, log: (line: string) => void) {
    this.#env = env;
    this.#log = log;
  }

  /** Starts `count` consuming processes, and loads `spares` more for replacements. */
  async start(count: number, spares: number): Promise<void> {
    for (let i = 0; i < count; i++) this.#workers.push(await startWorker(this.#env, this.#log));
    for (let i = 0; i < spares; i++) this.#launchSpare();
    await Promise.all(this.#spares);
  }

  /** Processes consuming now. */
  live(): WorkerProcess[] {
    return this.#workers.filter((worker) => worker.exit === undefined && worker.readyAt > 0);
  }

  /** SIGKILLs `victim` and starts a replacement without waiting for it to be ready. */
  async kill(victim: WorkerProcess): Promise<void> {
    this.#killed.add(victim);
    await victim.kill();
    const next = this.#spares.shift() ?? launchWorker(this.#env, this.#log);
    this.#launchSpare();
    this.#starting.push(
      next
        .then(async (worker) => {
          this.#workers.push(worker);
          await worker.start();
        })
        .catch((error: unknown) => this.#log(`[trial] a replacement did not start: ${error}`)),
    );
  }

  /** Waits until every replacement is consuming (or failed to start). */
  async settled(): Promise<void> {
    await Promise.all(this.#starting);
  }

  /** Processes that ended without being killed by the trial. */
  unexpectedExits(): { pid: number; how: string }[] {
    return this.#workers.flatMap((worker) =>
      worker.exit === undefined || this.#killed.has(worker)
        ? []
        : [{ pid: worker.pid, how: describeExit(worker.exit) }],
    );
  }

  /** Handler runs whose record could not be written, over every process. */
  unrecordedRuns(): number {
    return this.#workers.reduce((sum, worker) => sum + worker.unrecorded.length, 0);
  }

  /** Stops every process: gracefully those consuming, at once the spares. */
  async stop(): Promise<void> {
    await this.settled();
    for (const spare of this.#spares) {
      await spare.then(
        (worker) => worker.kill(),
        () => undefined,
      );
    }
    await Promise.all(this.#workers.map((worker) => worker.stop()));
  }

  #launchSpare(): void {
    const spare = launchWorker(this.#env, this.#log);
    spare.catch(() => undefined); // reported when it is used
    this.#spares.push(spare);
  }
}
