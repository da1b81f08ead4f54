import { describeError } from './error-record.js';
import type { Logger, LogScope } from './logger.js';

/** Runs an async pass now and then on a jittered interval; passes never overlap. */
export class IntervalTask<T> {
  readonly #pass: () => Promise<T>;
  readonly #intervalMs: number;
  readonly #logger: Pick<Logger, 'warn'>;
  readonly #scope: LogScope;
  readonly #name: string;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> = Promise.resolve();
  #started = false;
  #stopping: Promise<void> | undefined;

  constructor(
    name: string,
    pass: () => Promise<T>,
    intervalMs: number,
    logger: Pick<Logger, 'warn'>,
    scope: LogScope,
  ) {
    this.#name = name;
    this.#scope = scope;
    this.#pass = pass;
    this.#intervalMs = intervalMs;
    this.#logger = logger;
  }

  /** Runs one pass now, after any pass in progress, and returns its result. */
  runOnce(): Promise<T> {
    const next = this.#running.then(this.#pass, this.#pass);
    this.#running = next.catch(() => undefined);
    return next;
  }

  /** Starts the interval (idempotent). A failed pass is logged and the next one runs as usual. */
  start(): void {
    if (this.#started || this.#stopping !== undefined) return;
    this.#started = true;
    this.#schedule();
  }

  /** Stops the interval and waits for a pass in progress. Memoised: every call gets one promise. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      clearTimeout(this.#timer);
      await this.#running;
    })();
    return this.#stopping;
  }

  #schedule(): void {
    // ±25% jitter keeps many processes from sweeping in lockstep.
    const delay = Math.round(this.#intervalMs * (0.75 + Math.random() * 0.5));
    this.#timer = setTimeout(() => {
      this.runOnce()
        .catch((error: unknown) => {
          this.#logger.warn(`pgpulse: ${this.#name} pass failed; retrying next interval`, {
            scope: this.#scope,
            task: this.#name,
            error: describeError(error),
          });
        })
        .finally(() => {
          if (this.#stopping === undefined) this.#schedule();
        });
    }, delay);
    // A maintenance timer alone must not keep the process alive.
    this.#timer.unref();
  }
}
