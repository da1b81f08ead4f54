import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { dropScratchDatabase } from '../src/dev/database.js';
import type { BenchJob, JobSink } from './contenders/contender.js';

/** Records which jobs a handler started, when, and how often: the exactly-once check. */
export class Tracker {
  readonly #firstStart = new Map<number, number>();
  #duplicates = 0;
  #waiters: { count: number; resolve: () => void }[] = [];
  #seqWaiters = new Map<number, () => void>();

  /** Hand this to the contender: called once per handled job. */
  readonly sink: JobSink = (job: BenchJob) => {
    const now = performance.now();
    if (this.#firstStart.has(job.seq)) {
      this.#duplicates++;
      return;
    }
    this.#firstStart.set(job.seq, now);
    this.#seqWaiters.get(job.seq)?.();
    this.#seqWaiters.delete(job.seq);
    const size = this.#firstStart.size;
    this.#waiters = this.#waiters.filter((waiter) => {
      if (size < waiter.count) return true;
      waiter.resolve();
      return false;
    });
  };

  /** When the job's handler first started (`performance.now()`), if it did. */
  startedAt(seq: number): number | undefined {
    return this.#firstStart.get(seq);
  }

  /**
   * Jobs per second over the first `count` jobs handled, from the first handler start to the
   * `count`-th: worker start-up is not counted, nor the write of the last completions (which
   * contenders batch differently).
   */
  rateOfFirst(count: number): number {
    const starts = [...this.#firstStart.values()].sort((a, b) => a - b).slice(0, count);
    return ((starts.length - 1) / ((starts.at(-1) as number) - (starts[0] as number))) * 1000;
  }

  get handled(): number {
    return this.#firstStart.size;
  }

  get duplicates(): number {
    return this.#duplicates;
  }

  /** Resolves once `count` distinct jobs were handled; rejects after `timeoutMs`. */
  waitForCount(count: number, timeoutMs: number): Promise<void> {
    if (this.#firstStart.size >= count) return Promise.resolve();
    return withTimeout(
      new Promise<void>((resolve) => this.#waiters.push({ count, resolve })),
      timeoutMs,
      () => `only ${this.#firstStart.size} of ${count} jobs were handled`,
    );
  }

  /**
   * Resolves once `count` distinct jobs were handled, or when `capMs` runs out, with how many
   * were handled by then.
   */
  async settleFor(count: number, capMs: number): Promise<number> {
    try {
      await this.waitForCount(count, capMs);
    } catch {
      // The cap ran out: the caller reports what was done.
    }
    return this.#firstStart.size;
  }

  /** Resolves once job `seq` was handled; rejects after `timeoutMs`. */
  waitForSeq(seq: number, timeoutMs: number): Promise<void> {
    if (this.#firstStart.has(seq)) return Promise.resolve();
    return withTimeout(
      new Promise<void>((resolve) => this.#seqWaiters.set(seq, resolve)),
      timeoutMs,
      () => `job ${seq} was not handled`,
    );
  }

  /**
   * Exactly-once problems among the jobs numbered `from` to `to - 1`. Jobs not run are a problem
   * only when the contender was given all the time it needed (`finished`).
   */
  problems(from: number, to: number, finished = true): string[] {
    let missing = 0;
    for (let seq = from; seq < to; seq++) if (!this.#firstStart.has(seq)) missing++;
    const found: string[] = [];
    if (missing > 0 && finished) found.push(`${missing} of ${to - from} jobs never ran`);
    if (this.#duplicates > 0) found.push(`${this.#duplicates} jobs ran more than once`);
    return found;
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, describe: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${describe()}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `fn` on a database of its own, created empty on the server and dropped afterwards. */
export async function withFreshDatabase<T>(
  adminUrl: string,
  fn: (url: string) => Promise<T>,
): Promise<T> {
  const name = `pgpulse_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return await fn(url.toString());
  } finally {
    await dropScratchDatabase(admin, name).catch(() => undefined);
    await admin.end();
  }
}

/**
 * Vacuums and analyses the whole database, the same for every contender: after a bulk load an
 * autovacuum would otherwise start at a random moment and land in a measurement window.
 */
export async function settleDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('VACUUM (ANALYZE)');
  } finally {
    await client.end();
  }
}

/** Jobs numbered from `from`, for a bulk enqueue. */
export function jobs(from: number, count: number): BenchJob[] {
  const sentAt = performance.now();
  return Array.from({ length: count }, (_, i) => ({ seq: from + i, sentAt }));
}

/** Sends `total` jobs through `send` in chunks of `size`. */
export async function inChunks(
  total: number,
  size: number,
  send: (batch: BenchJob[]) => Promise<void>,
  from = 0,
): Promise<void> {
  for (let start = 0; start < total; start += size) {
    await send(jobs(from + start, Math.min(size, total - start)));
  }
}

/** A short pause for a benchmark's own pacing (never used in tests). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
