import PQueue from 'p-queue';
import type { HandlerOutcome } from '../settle/outcome.js';
import type { ClaimedJob } from '../types.js';
import type { LeasedEntry } from './in-flight.js';

/** What a handler receives: the claimed job and a signal to honour. */
export interface JobContext<P = unknown> extends ClaimedJob<P> {
  /**
   * Aborts when the job is cancelled, its lease is lost, it runs past `timeoutMs`, or the worker
   * stops and its grace period ends. `signal.reason` says which (a pgpulse error). Pass it to
   * `fetch`, database drivers and timers so that an aborted job really stops.
   */
  readonly signal: AbortSignal;
}

/** A job handler: its return value is stored as the job's result; a throw fails the attempt. */
export type JobHandler<P = unknown, R = unknown> = (job: JobContext<P>) => R | Promise<R>;

/** The handler's view of a leased job. */
export function contextOf<P>(entry: LeasedEntry<P>): JobContext<P> {
  return { ...entry.job, signal: entry.controller.signal };
}

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

  /** Resolves when no handler call runs or waits. */
  onIdle(): Promise<void> {
    return this.#queue.onIdle();
  }
}
