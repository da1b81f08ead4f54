import type { Context } from '../db/context.js';
import { describeError } from '../kernel/error-record.js';
import { IntervalTask } from '../kernel/interval-task.js';
import { isUnskippable } from '../kernel/tick-policy.js';
import type { LeasedEntry } from '../lease/in-flight.js';
import { advanceTick, isTick, repairStalled } from '../schedule/advance.js';

/**
 * How often a consumer looks for its queue's stalled schedules (a waiting tick's job purged, or
 * finished without moving its schedule on), jittered: a floor, like the fallback poll.
 */
const SCHEDULE_REPAIR_MS = 30_000;

/** What the consumer lends its schedule ticks. */
export interface TickPort {
  /** Runs the job's handler (or hands it to its subscriber). */
  dispatch(entry: LeasedEntry): void;
  /** Gives the job back to pending, due `delayMs` later. */
  release(entry: LeasedEntry, delayMs: number): Promise<unknown>;
  /** Forgets a job that ended without running (its schedule skipped it). */
  remove(entry: LeasedEntry): void;
  /** Reports a failure to move a schedule on. */
  problem(error: unknown): void;
}

/**
 * The schedules' part of a consumer. A claimed tick's job moves its schedule on before its
 * handler runs when the schedule may skip it (`overlap: 'skip'`, `misfire: 'skip'`); the tick of
 * a schedule that cannot (as its claim read it) starts at once, as a delayed job would, and its
 * schedule moves on meanwhile. Now and then (and at start) the queue's stalled schedules are
 * repaired. Every other job passes through untouched, at one check's cost.
 */
export class ConsumerTicks {
  readonly #ctx: Context;
  readonly #port: TickPort;
  readonly #queue: string;
  readonly #repairs: IntervalTask<number>;
  /** Schedules being moved on now: stop() waits for them, so that nothing writes after it. */
  readonly #advancing = new Set<Promise<void>>();

  constructor(ctx: Context, queue: string, port: TickPort) {
    this.#ctx = ctx;
    this.#port = port;
    this.#queue = queue;
    this.#repairs = new IntervalTask(
      'schedule repair',
      () => repairStalled(ctx, queue),
      SCHEDULE_REPAIR_MS,
      ctx.options.logger,
      'pgpulse.schedule',
    );
  }

  /** Starts the repairs, with a first pass now. */
  start(): void {
    this.#repairs.start();
    // A failure here is logged, never fatal: a worker of jobs is no worse for it.
    this.#repairs.runOnce().catch((error: unknown) => {
      this.#ctx.options.logger.warn('pgpulse: schedule repair failed', {
        scope: 'pgpulse.schedule',
        queue: this.#queue,
        error: describeError(error),
      });
    });
  }

  /** Stops the repairs and waits for every schedule being moved on. */
  async stop(): Promise<void> {
    await this.#repairs.stop();
    while (this.#advancing.size > 0) await Promise.all(this.#advancing);
  }

  /** Dispatches a claimed job; a schedule's tick once its schedule has moved on, or meanwhile. */
  dispatch(entry: LeasedEntry): void {
    if (!isTick(entry.job)) this.#port.dispatch(entry);
    else this.#track(isUnskippable(entry.job) ? this.#startedTick(entry) : this.#tick(entry));
  }

  #track(advancing: Promise<void>): void {
    this.#advancing.add(advancing);
    const done = () => this.#advancing.delete(advancing);
    advancing.then(done, done);
  }

  /**
   * A tick of a schedule that skips none: its handler starts now, and its schedule moves on
   * meanwhile, told that the job started (so that a policy changed since the claim cannot skip
   * it). If that cannot be written, the job runs anyway, and the stalled-schedule repair moves
   * the schedule on once it has finished.
   */
  async #startedTick(entry: LeasedEntry): Promise<void> {
    this.#port.dispatch(entry);
    try {
      await advanceTick(this.#ctx, entry.job, true);
    } catch (error) {
      this.#port.problem(error);
    }
  }

  /**
   * A schedule's tick: move its schedule on (the next tick's job is inserted) before the handler
   * runs, since the schedule may skip this one. If that cannot be written, the job goes back to
   * pending a second later, so that its claim, and the schedule's next tick, are tried again.
   */
  async #tick(entry: LeasedEntry): Promise<void> {
    let outcome: 'run' | 'skipped';
    try {
      outcome = await advanceTick(this.#ctx, entry.job);
    } catch (error) {
      this.#port.problem(error);
      await this.#port.release(entry, 1000).catch(() => undefined);
      return;
    }
    if (outcome === 'skipped') this.#port.remove(entry);
    else this.#port.dispatch(entry);
  }
}
