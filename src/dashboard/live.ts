import type { Subscription } from 'rxjs';
import type { Context } from '../db/context.js';
import type { JobEvent } from '../observe/job-events.js';
import type { Queue } from '../queue.js';
import type { Overview, SeriesPoint } from './api-types.js';
import { overviewOf, queueNames } from './overview.js';

/** The width of one point of the live series, and how many points it keeps (15 minutes). */
export const BUCKET_MS = 5_000;
const BUCKETS = 180;
/** How often connected browsers get a fresh overview. */
export const OVERVIEW_EVERY_MS = 2_000;

type Tally = SeriesPoint['queues'][string];

/** What a browser connected to `/live` is sent. */
export type LiveMessage =
  | { readonly kind: 'overview'; readonly overview: Overview }
  | { readonly kind: 'job'; readonly event: JobEvent };

/**
 * The dashboard's live side: one subscription to `queue.events()` for every queue (a watcher
 * row, so statements announce their events while it lasts) feeding the throughput series and
 * every connected browser, and one overview read every 2 s shared by all of them while any is
 * connected.
 */
export class LiveFeed {
  readonly #queue: Queue;
  readonly #ctx: Context;
  readonly #points: SeriesPoint[] = [];
  readonly #listeners = new Set<(message: LiveMessage) => void>();
  readonly #closers = new Set<() => void>();
  #events: Subscription | undefined;
  #timer: NodeJS.Timeout | undefined;
  #overview: { at: number; pending: boolean; value: Promise<Overview> } | undefined;
  #closed = false;
  #noEvents = false;

  constructor(queue: Queue, ctx: Context) {
    this.#queue = queue;
    this.#ctx = ctx;
  }

  /** Starts listening for events (idempotent): the series counts from here. */
  start(): void {
    if (this.#events !== undefined || this.#closed || this.#noEvents) return;
    let events: ReturnType<Queue['events']>;
    try {
      events = this.#queue.events();
    } catch (error) {
      // A queue made with `listen: false` has no event stream: the pages still refresh their
      // figures every 2 s, without job events or throughput charts.
      this.#noEvents = true;
      this.#ctx.options.logger.warn(
        'pgpulse: the dashboard runs without live job events (the queue does not listen)',
        {
          scope: 'pgpulse.dashboard',
          error: error instanceof Error ? error.message : String(error),
        },
      );
      return;
    }
    this.#events = events.subscribe({
      next: (event) => this.#onEvent(event),
      error: (error: unknown) => {
        this.#ctx.options.logger.warn('pgpulse: the dashboard lost the event stream', {
          scope: 'pgpulse.events',
          error: error instanceof Error ? error.message : String(error),
        });
        this.#events = undefined;
      },
    });
  }

  /** The throughput series, oldest first, with empty buckets filled in up to now. */
  series(now = Date.now()): Overview['series'] {
    const end = Math.floor(now / BUCKET_MS) * BUCKET_MS;
    const start = end - (BUCKETS - 1) * BUCKET_MS;
    const byTime = new Map(this.#points.map((point) => [point.t, point]));
    const first = this.#points[0]?.t ?? end;
    const points: SeriesPoint[] = [];
    for (let t = Math.max(start, first); t <= end; t += BUCKET_MS) {
      points.push(byTime.get(t) ?? { t, queues: {} });
    }
    return { bucketMs: BUCKET_MS, points };
  }

  /**
   * The overview, read at most once a second however many ask, and never twice at once: a read
   * in flight is shared until it settles.
   */
  overview(): Promise<Overview> {
    const now = Date.now();
    const last = this.#overview;
    if (last !== undefined && (last.pending || now - last.at < 1_000)) return last.value;
    const entry = {
      at: now,
      pending: true,
      value: (async (): Promise<Overview> => {
        const queues = await overviewOf(this.#ctx, await queueNames(this.#ctx));
        return { at: new Date().toISOString(), queues, series: this.series() };
      })(),
    };
    entry.value.then(
      () => {
        entry.pending = false;
        entry.at = Date.now();
      },
      () => {
        // A failed read is not kept: the next caller tries again.
        if (this.#overview === entry) this.#overview = undefined;
      },
    );
    this.#overview = entry;
    return entry.value;
  }

  /** Whether `close()` was called: no browser may connect any more. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Adds a browser; returns its removal. Overviews are read only while one is connected. Its
   * `onClose` runs if the feed closes first (the stream then ends).
   */
  connect(listener: (message: LiveMessage) => void, onClose: () => void = () => {}): () => void {
    if (this.#closed) {
      onClose();
      return () => {};
    }
    this.start();
    this.#closers.add(onClose);
    this.#listeners.add(listener);
    this.#timer ??= setInterval(() => this.#broadcastOverview(), OVERVIEW_EVERY_MS);
    return () => {
      this.#closers.delete(onClose);
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0 && this.#timer !== undefined) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    };
  }

  close(): void {
    this.#closed = true;
    this.#events?.unsubscribe();
    this.#events = undefined;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#listeners.clear();
    for (const close of [...this.#closers]) close();
    this.#closers.clear();
  }

  #broadcastOverview(): void {
    this.overview().then(
      (overview) => {
        for (const listener of this.#listeners) listener({ kind: 'overview', overview });
      },
      () => {
        // The database is unreachable for now: browsers keep their last overview; the next
        // tick tries again.
      },
    );
  }

  #onEvent(event: JobEvent): void {
    const tally = this.#tallyOf(event.queue, event.at.getTime());
    if (event.type === 'completed') tally.completed += 1;
    else if (event.type === 'failed') tally.failed += 1;
    else if (event.type === 'dead') tally.dead += 1;
    else if (event.type === 'enqueued') tally.enqueued += 1;
    for (const listener of this.#listeners) listener({ kind: 'job', event });
  }

  #tallyOf(queue: string, at: number): Tally {
    const t = Math.floor(at / BUCKET_MS) * BUCKET_MS;
    let point = this.#points.at(-1);
    if (point === undefined || point.t < t) {
      point = { t, queues: {} };
      this.#points.push(point);
      if (this.#points.length > BUCKETS) this.#points.shift();
    } else if (point.t > t) {
      // An event stamped before the newest bucket (clocks, late delivery): find its own.
      point = this.#points.find((p) => p.t === t) ?? point;
    }
    point.queues[queue] ??= { completed: 0, failed: 0, dead: 0, enqueued: 0 };
    return point.queues[queue];
  }
}
