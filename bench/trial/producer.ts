import type { Queue } from '../../src/index.js';
import { sleep } from '../harness.js';

/** How often the producer sends what has come due: batches, single sends. */
const TICK_MS = { batch: 20, single: 5 } as const;

/** A batch never holds more than this, however far behind the producer fell. */
const MAX_BATCH = 2000;

/** Single sends in flight at most. */
const MAX_IN_FLIGHT = 64;

/**
 * `batch`: one `sendBatch` per tick with every job that came due (one INSERT, one NOTIFY);
 * `single`: one `send` per job (an INSERT and a NOTIFY each), up to 64 in flight, as many
 * independent producers (web requests) would send.
 */
export type SendMode = 'batch' | 'single';

/** Jobs sent at a fixed rate in the background (see {@link startProducer}). */
export interface Producer {
  /** Jobs sent (committed) so far. */
  sent(): number;
  /** The longest time one send took, in ms, since the previous call. */
  takeSlowestSendMs(): number;
  /** Why sending stopped by itself (a failed send), if it did. */
  error(): unknown;
  /** Stops sending; resolves once the sends in flight are done. */
  stop(): Promise<void>;
}

const now = () => performance.timeOrigin + performance.now();

/**
 * Sends `rate` jobs a second to `queueName`: every tick, the jobs that have come due since the
 * start (a producer that fell behind catches up, so the average holds). Each payload carries its
 * send time (`sentAt`, epoch ms with sub-ms precision).
 */
export function startProducer(
  queue: Queue,
  queueName: string,
  rate: number,
  mode: SendMode = 'batch',
): Producer {
  let launched = 0;
  let sent = 0;
  let slowest = 0;
  let stopping = false;
  let failure: { error: unknown } | undefined;
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  const sendOne = () => {
    const sentAt = now();
    const sending = queue.send(queueName, { sentAt }).then(
      () => {
        slowest = Math.max(slowest, now() - sentAt);
        sent++;
        inFlight.delete(sending);
      },
      (error: unknown) => {
        failure ??= { error };
        stopping = true;
        inFlight.delete(sending);
      },
    );
    inFlight.add(sending);
  };
  const loop = (async () => {
    while (!stopping) {
      const due = Math.floor(((performance.now() - started) / 1000) * rate) - launched;
      if (due > 0 && mode === 'batch') {
        const count = Math.min(due, MAX_BATCH);
        const sentAt = now();
        const items = Array.from({ length: count }, () => ({ payload: { sentAt } }));
        launched += count;
        await queue.sendBatch(queueName, items);
        slowest = Math.max(slowest, now() - sentAt);
        sent += count;
      } else if (due > 0) {
        const count = Math.min(due, MAX_IN_FLIGHT - inFlight.size);
        for (let i = 0; i < count; i++) sendOne();
        launched += Math.max(0, count);
      }
      await sleep(TICK_MS[mode]);
    }
    await Promise.all(inFlight);
  })().catch((error: unknown) => {
    failure ??= { error };
  });
  return {
    sent: () => sent,
    takeSlowestSendMs: () => {
      const value = slowest;
      slowest = 0;
      return value;
    },
    error: () => failure?.error,
    stop: async () => {
      stopping = true;
      await loop;
    },
  };
}
