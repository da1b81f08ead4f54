import type { Queue } from '../../src/index.js';
import { sleep } from '../harness.js';
import { type Pacing, sendPaced } from './database.js';

/** Jobs being sent in the background while the trial does other things. */
export interface Sender {
  /** How many were sent so far. */
  sent(): number;
  /** Resolves once every job was sent; rejects when sending gave up. */
  readonly done: Promise<void>;
  /** Resolves once at least `count` jobs were sent; rejects when sending gave up. */
  reached(count: number): Promise<void>;
}

/** Starts sending `pacing.total` jobs to `queueName` (see {@link sendPaced}). */
export function startSender(queue: Queue, queueName: string, pacing: Pacing): Sender {
  let sent = 0;
  let failure: { error: unknown } | undefined;
  const done = sendPaced(queue, queueName, pacing, (count) => {
    sent = count;
  });
  // Kept for `reached`, and so that a failure is never an unhandled rejection.
  done.catch((error: unknown) => {
    failure = { error };
  });
  return {
    sent: () => sent,
    done,
    reached: async (count) => {
      while (sent < count) {
        if (failure !== undefined) throw failure.error;
        await sleep(20);
      }
    },
  };
}

/** A pause between batches that spreads `total` jobs over about `spreadMs`. */
export function pauseFor(total: number, batchSize: number, spreadMs: number): number {
  return Math.max(0, Math.round(spreadMs / Math.ceil(total / batchSize)));
}
