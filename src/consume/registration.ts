import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Context } from '../db/context.js';
import { isTransient } from '../db/failure.js';
import { describeError } from '../kernel/error-record.js';
import { ErrorCode, isPgPulseError } from '../kernel/errors.js';
import { VERSION } from '../kernel/version.js';
import type { ConsumerConfig } from './consumer-config.js';

/**
 * A consumer's entry in the worker registry (`queue.workers`): written at start, refreshed every
 * heartbeat with its running jobs, removed at stop. It expires after three missed refreshes,
 * so a process that died drops out of the live list without anyone cleaning up after it.
 */
export class Registration {
  readonly id = randomUUID();
  readonly #ctx: Context;
  readonly #config: ConsumerConfig;
  readonly #running: () => number;
  readonly #onTransient: (error: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;
  #stopped = false;
  /** Whether an entry was written (and so is there to remove). */
  #registered = false;

  /**
   * @param running - how many jobs the consumer holds now.
   * @param onTransient - a refresh failed for a passing reason (the next one tries again). A
   *   permanent refusal (a role granted before the registry existed) is logged as a warning: the
   *   registry is for people, and never stops a consumer.
   */
  constructor(
    ctx: Context,
    config: ConsumerConfig,
    running: () => number,
    onTransient: (error: unknown) => void,
  ) {
    this.#ctx = ctx;
    this.#config = config;
    this.#running = running;
    this.#onTransient = onTransient;
  }

  /** Registers now and on every interval; resolves once the first registration was written. */
  start(): Promise<void> {
    this.#timer = setInterval(() => void this.#beat(), this.#config.heartbeatMs);
    this.#timer.unref();
    return this.#beat();
  }

  /**
   * Stops refreshing and removes the entry, if one was written. Never fails: an entry that could
   * not be removed (the database unreachable) expires by itself.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#beating;
    if (!this.#registered) return;
    await this.#ctx.run('worker_leave', [this.id]).catch(() => undefined);
  }

  #beat(): Promise<void> {
    if (this.#stopped || this.#beating !== undefined) return this.#beating ?? Promise.resolve();
    const { queue, claim, capacity, heartbeatMs } = this.#config;
    this.#beating = this.#ctx
      .run('worker_beat', [
        this.id,
        claim.workerId,
        hostname(),
        process.pid,
        [queue],
        capacity,
        this.#running(),
        VERSION,
        heartbeatMs * 3,
      ])
      .then(
        () => {
          this.#registered = true;
        },
        (error: unknown) => {
          if (isTransient(error)) this.#onTransient(error);
          else if (isPgPulseError(error, ErrorCode.queueClosed)) {
            // The queue closed while the beat was out: the entry expires by itself.
          } else {
            const message = `pgpulse: no worker registry entry for ${queue}`;
            this.#ctx.options.logger.warn(message, {
              scope: 'pgpulse.consumer',
              queue,
              during: 'register',
              error: describeError(error),
            });
          }
        },
      )
      .finally(() => {
        this.#beating = undefined;
      });
    return this.#beating;
  }
}
