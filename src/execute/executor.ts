import PQueue from 'p-queue';
import type { HandlerOutcome } from '../settle/outcome.js';
import type { JobContext } from './job-context.js';

/** A job handler: its return value is stored as the job's result; a throw fails the attempt. */
export type JobHandler<P = unknown, R = unknown> = (job: JobContext<P>) => R | Promise<R>;

/** Runs handler calls under a concurrency limit (p-queue). */
export class Executor {
  readonly #queue: PQueue;

  constructor(concurrency: number) {
    this.#queue = new PQueue({ concurrency });
  }

  /** Runs `call` as soon as a slot is free; resolves with how it ended, never rejects. */
  run(call: () => unknown): Promise<HandlerOutcome> {
    return this.#queue.add(async (): Promise<HandlerOutcome> => {
      try {
        return { kind: 'returned', value: await call() };
      } catch (error) {
        return { kind: 'threw', error };
      }
    });
  }

  /** Handler calls running now. */
  get running(): number {
    return this.#queue.pending;
  }

  /** Handler calls waiting for a slot (zero unless a handler ignored its abort signal). */
  get waiting(): number {
    return this.#queue.size;
  }
}
