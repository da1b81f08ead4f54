import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Context, SettledJob } from '../db/context.js';
import { describeError } from '../kernel/error-record.js';
import type { QueueStats } from '../kernel/types.js';
import {
  checkIdentifier,
  checkInteger,
  checkKnownKeys,
  checkOptionsObject,
  invalid,
} from '../kernel/validate.js';

/** Options of {@link Queue.metrics}. */
export interface MetricsOptions {
  /**
   * The prom-client registry to register in, e.g. your application's (`register`, or one of
   * yours), from your own copy of prom-client: it is recognised by its methods, not by class.
   * Default: a new registry of its own.
   */
  registry?: Registry;
  /** Prefix of every metric name. Default `pgpulse_`. */
  prefix?: string;
  /**
   * The per-state counts come from one query over the jobs table; a scrape within this many ms
   * of the last reuses its counts. Default 5000.
   */
  statsMaxAgeMs?: number;
}

/** A running metrics endpoint, from {@link QueueMetrics.serve}. */
export interface MetricsServer {
  /** Where the metrics are, e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
  close(): Promise<void>;
}

const STATES = ['pending', 'running', 'completed', 'dead', 'cancelled'] as const;

/**
 * Prometheus metrics of a queue through prom-client. From the database, at each scrape (every
 * queue, whichever process works it): jobs per state, queue depth (due pending jobs) and the
 * oldest due job's wait. From this process's workers: completed, failed, retried and dead
 * counters and a processing-time histogram.
 *
 * @example
 * ```ts
 * const metrics = queue.metrics();
 * const server = await metrics.serve({ port: 9464 }); // GET http://host:9464/metrics
 * ```
 */
export class QueueMetrics {
  /** The registry holding the metrics: scrape it yourself, or `serve()` it. */
  readonly registry: Registry;
  readonly #ctx: Context;
  readonly #statsMaxAgeMs: number;
  readonly #observer: (job: SettledJob) => void;
  readonly #servers = new Set<MetricsServer>();
  #stats: { at: number; value: Promise<QueueStats[]> } | undefined;

  /** @internal Built by `Queue.metrics()`. */
  constructor(ctx: Context, stats: () => Promise<QueueStats[]>, options?: MetricsOptions) {
    const opts = checkOptionsObject('options', options);
    checkKnownKeys('options', opts, ['registry', 'prefix', 'statsMaxAgeMs']);
    const prefix = checkIdentifier('prefix', opts.prefix ?? 'pgpulse_', 64);
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) {
      throw invalid('prefix', 'a Prometheus metric name prefix', prefix);
    }
    if (opts.registry !== undefined && !isRegistry(opts.registry)) {
      throw invalid('registry', 'a prom-client Registry', opts.registry);
    }
    this.#ctx = ctx;
    this.#statsMaxAgeMs = checkInteger('statsMaxAgeMs', opts.statsMaxAgeMs ?? 5000, 0, 3_600_000);
    this.registry = (opts.registry as Registry | undefined) ?? new Registry();
    const registers = [this.registry];
    const fresh = () => this.#freshStats(stats);

    new Gauge({
      name: `${prefix}jobs`,
      help: 'Jobs per queue and state.',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const stat of await fresh()) {
          for (const state of STATES) this.set({ queue: stat.queue, state }, stat.counts[state]);
        }
      },
    });
    new Gauge({
      name: `${prefix}queue_depth`,
      help: 'Pending jobs that are due (waiting for a worker), per queue.',
      labelNames: ['queue'],
      registers,
      async collect() {
        this.reset();
        for (const stat of await fresh()) {
          this.set({ queue: stat.queue }, stat.counts.pending - stat.scheduled);
        }
      },
    });
    new Gauge({
      name: `${prefix}oldest_pending_age_seconds`,
      help: 'How long the oldest due pending job has waited since its run time, per queue.',
      labelNames: ['queue'],
      registers,
      async collect() {
        this.reset();
        for (const stat of await fresh()) {
          this.set({ queue: stat.queue }, (stat.oldestPendingAgeMs ?? 0) / 1000);
        }
      },
    });
    new Gauge({
      name: `${prefix}workers`,
      help: 'Live registered consumers and the jobs they hold, per queue (the worker registry).',
      labelNames: ['queue', 'measure'],
      registers,
      async collect() {
        this.reset();
        for (const worker of await ctx.run<{ queues: string[]; running: number }>('worker_list', [
          false,
        ])) {
          for (const queue of worker.queues) {
            this.inc({ queue, measure: 'consumers' });
            this.inc({ queue, measure: 'running' }, worker.running);
          }
        }
      },
    });
    const counter = (name: string, help: string) =>
      new Counter({ name: `${prefix}${name}`, help, labelNames: ['queue'], registers });
    const completed = counter('jobs_completed_total', 'Jobs completed by this process.');
    const failed = counter('jobs_failed_total', 'Failed attempts in this process.');
    const retried = counter('jobs_retried_total', 'Failed attempts that will be retried.');
    const dead = counter('jobs_dead_total', 'Jobs this process sent to dead.');
    const duration = new Histogram({
      name: `${prefix}job_duration_seconds`,
      help: 'From claim to settlement, per queue and outcome.',
      labelNames: ['queue', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300],
      registers,
    });
    this.#observer = (job) => {
      const labels = { queue: job.queue };
      if (job.outcome === 'completed') completed.inc(labels);
      if (job.outcome === 'retried' || job.outcome === 'dead') failed.inc(labels);
      if (job.outcome === 'retried') retried.inc(labels);
      if (job.outcome === 'dead') dead.inc(labels);
      duration.observe({ queue: job.queue, outcome: job.outcome }, job.durationMs / 1000);
    };
    ctx.observers.add(this.#observer);
  }

  /** The metrics in Prometheus text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * Serves the metrics over HTTP at `/metrics` (opt-in; nothing listens until this is called).
   *
   * @param options - `port` (default 9464; 0 picks a free port) and `host` (default
   *   `127.0.0.1`).
   */
  async serve(options?: { port?: number; host?: string }): Promise<MetricsServer> {
    const opts = checkOptionsObject('options', options);
    checkKnownKeys('options', opts, ['port', 'host']);
    const port = checkInteger('port', opts.port ?? 9464, 0, 65_535);
    const host = checkIdentifier('host', opts.host ?? '127.0.0.1', 255);
    const server: Server = createServer((request, response) => {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
        response.writeHead(404).end('Not found: metrics are at /metrics\n');
        return;
      }
      this.text().then(
        (body) => {
          response.writeHead(200, { 'content-type': this.registry.contentType }).end(body);
        },
        (error: unknown) => {
          this.#ctx.options.logger.warn('pgpulse: collecting metrics failed', {
            scope: 'pgpulse.metrics',
            error: describeError(error),
          });
          response.writeHead(500).end('Collecting metrics failed\n');
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address() as AddressInfo;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    let closing: Promise<void> | undefined;
    const served: MetricsServer = {
      url: `http://${shownHost}:${address.port}/metrics`,
      close: () => {
        closing ??= new Promise<void>((resolve, reject) => {
          this.#servers.delete(served);
          server.close((error) => (error ? reject(error) : resolve()));
          server.closeAllConnections();
        });
        return closing;
      },
    };
    this.#servers.add(served);
    return served;
  }

  /**
   * Stops counting this process's jobs and closes every server `serve()` started; the registry
   * keeps what it has. `queue.close()` calls it.
   */
  async close(): Promise<void> {
    this.#ctx.observers.delete(this.#observer);
    await Promise.all([...this.#servers].map((server) => server.close()));
  }

  /** The same as `close()`, for `queue.close()`'s list of things to stop. */
  stop(): Promise<void> {
    return this.close();
  }

  #freshStats(load: () => Promise<QueueStats[]>): Promise<QueueStats[]> {
    const now = Date.now();
    if (this.#stats === undefined || now - this.#stats.at > this.#statsMaxAgeMs) {
      const value = load();
      this.#stats = { at: now, value };
      // A failed load is not cached: the next scrape tries again.
      value.catch(() => {
        if (this.#stats?.value === value) this.#stats = undefined;
      });
    }
    return this.#stats.value;
  }
}

/**
 * Whether `value` is a prom-client registry. Duck-typed, as the pool is: the application's own
 * copy of prom-client (another version, or another install) fails `instanceof`, and its
 * registry takes pgpulse's metrics all the same.
 */
function isRegistry(value: unknown): value is Registry {
  const candidate = value as Partial<Record<keyof Registry, unknown>> | null;
  return (
    typeof candidate?.registerMetric === 'function' &&
    typeof candidate.metrics === 'function' &&
    typeof candidate.getSingleMetric === 'function' &&
    typeof candidate.contentType === 'string'
  );
}
