/** What {@link closeOnSignals} closes: a `Queue`, or anything else with such a `close()`. */
export interface Closable {
  close(options?: { graceMs?: number }): Promise<void>;
}

/** Options of {@link closeOnSignals}. */
export interface CloseOnSignalsOptions {
  /** The signals that close. Default `['SIGINT', 'SIGTERM']`. */
  signals?: readonly NodeJS.Signals[];
  /**
   * How long running jobs get to finish before their signals abort and they go back to pending,
   * in ms. Default: each worker's own `graceMs` (10,000 unless set).
   */
  graceMs?: number;
  /** Called at the first signal, before closing begins: say so, close your HTTP server... */
  onSignal?: (signal: NodeJS.Signals) => void;
}

/** What {@link closeOnSignals} returns: a disposer, and the outcome once a signal came. */
export interface SignalHandlers extends Disposable {
  /**
   * Resolves with the signal once closing after it has finished; rejects with the failure when
   * closing failed. Settles only after a signal.
   */
  readonly closed: Promise<NodeJS.Signals>;
  /** Removes the handlers: a signal then has its default effect again. Idempotent. */
  dispose(): void;
}

/** The exit status after a second signal: 128 + SIGINT's 2, as a shell reports Ctrl-C. */
const FORCED_EXIT_CODE = 130;

/**
 * Closes `target` (a queue: its workers stop gracefully, then its connections) at the first
 * SIGINT or SIGTERM, so that the process exits by itself once the work is done: nothing calls
 * `process.exit()`. A second signal while closing exits at once with status 130 (jobs still
 * running keep their leases until they expire, and the sweeper then requeues them). A failure
 * to close rejects `closed` and sets `process.exitCode` to 1. Once closed, the handlers are
 * removed.
 *
 * Anything else that keeps the process alive (an HTTP server, your own timers) is yours to close,
 * e.g. in `onSignal`.
 *
 * @example
 * ```ts
 * const queue = new Queue({ connectionString: process.env.DATABASE_URL });
 * queue.work('emails', sendEmail);
 * closeOnSignals(queue, { graceMs: 30_000, onSignal: (signal) => console.log(`${signal}: stopping`) });
 * ```
 */
export function closeOnSignals(
  target: Closable,
  options: CloseOnSignalsOptions = {},
): SignalHandlers {
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  let closing = false;
  let resolve!: (signal: NodeJS.Signals) => void;
  let reject!: (error: unknown) => void;
  const closed = new Promise<NodeJS.Signals>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  // Whoever does not await `closed` is not told of a failure twice (exitCode says it).
  closed.catch(() => undefined);
  const dispose = () => {
    for (const signal of signals) process.removeListener(signal, onSignal);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      process.exit(FORCED_EXIT_CODE);
    }
    closing = true;
    options.onSignal?.(signal);
    const grace = options.graceMs === undefined ? undefined : { graceMs: options.graceMs };
    target.close(grace).then(
      () => {
        dispose();
        resolve(signal);
      },
      (error: unknown) => {
        dispose();
        process.exitCode = 1;
        reject(error);
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
  return { closed, dispose, [Symbol.dispose]: dispose };
}
