import { loadavg } from 'node:os';
import pg from 'pg';
import { type LatencySummary, summarize } from '../../src/dev/percentiles.js';
import { Queue } from '../../src/index.js';
import { sleep } from '../harness.js';
import { Fleet } from '../trial/fleet.js';
import { startProducer } from '../trial/producer.js';
import { loadText, withScratchDatabase } from '../trial/server.js';
import { type Sample, summarizeWindow, type WindowSummary } from './report.js';
import {
  type RetentionKind,
  type RetentionPass,
  startRetentionPasses,
} from './retention-passes.js';
import { sampleServer } from './sampler.js';

const QUEUE = 'sustained';

/** What one variant of the sustained run does. */
export interface VariantSettings {
  /** `partitions` (a small width: whole partitions dropped) or `row-by-row` (a huge one). */
  readonly name: string;
  /** `<schema>.partitioning.partition_interval`, as SQL: `1 minute`, `10 years`. */
  readonly partitionInterval: string;
  /** How the library's retention pass removes jobs (see retention-passes.ts). */
  readonly retention: RetentionKind;
  /** Jobs sent a second. */
  readonly rate: number;
  readonly durationMs: number;
  readonly sampleMs: number;
  /** Length of the first and the last window. */
  readonly windowMs: number;
  readonly workers: number;
  readonly concurrency: number;
  readonly olderThanMs: number;
  readonly retentionIntervalMs: number;
}

/** What one variant measured. */
export interface VariantResult {
  readonly settings: VariantSettings;
  /** Load averages (1, 5, 15 min) before and after. */
  readonly load: { readonly before: number[]; readonly after: number[] };
  readonly samples: Sample[];
  readonly passes: RetentionPass[];
  readonly first: WindowSummary;
  readonly last: WindowSummary;
  /** Consecutive windows from the start, each as long as the first. */
  readonly timeline: WindowSummary[];
  /** Jobs sent, and handled by the time the workers stopped. */
  readonly sent: number;
  readonly handled: number;
}

/**
 * One variant on a fresh database: workers ready, then the producer sends at a fixed rate while
 * retention runs and the server is sampled; the figures of the first and the last window.
 */
export function runVariant(
  adminUrl: string,
  settings: VariantSettings,
  log: (line: string) => void,
): Promise<VariantResult> {
  return withScratchDatabase(adminUrl, 'pgpulse_sustained', async (url) => {
    const logger = {
      warn: (message: string) => log(`[trial] warn: ${message}`),
      error: (message: string) => log(`[trial] error: ${message}`),
    };
    const queue = new Queue({ connectionString: url, poolSize: 4, listen: false, logger });
    const sql = new pg.Pool({ connectionString: url, max: 3, application_name: 'pgpulse-bench' });
    sql.on('error', () => undefined); // an idle connection ended by the server's stop (interrupted)
    let fleet: Fleet | undefined;
    try {
      await queue.migrate();
      await setPartitionWidth(sql, settings.partitionInterval);
      fleet = await Fleet.start(
        { url, queue: QUEUE, processes: settings.workers, concurrency: settings.concurrency },
        log,
      );
      await sql.query('CHECKPOINT');
      await sql.query('SELECT pg_stat_statements_reset()');
      const before = loadavg();
      const result = await measure(queue, sql, fleet, settings, log);
      await fleet.stop();
      return { ...result, load: { before, after: loadavg() }, handled: fleet.handled() };
    } finally {
      await fleet?.stop();
      await queue.close();
      await sql.end();
    }
  });
}

/**
 * Drops the partitions migrate made (empty: nothing ran yet) and sets the new width, so that the
 * run's partitions start now, as wide as asked.
 */
async function setPartitionWidth(sql: pg.Pool, width: string): Promise<void> {
  await sql.query(`DO $$
    DECLARE r regclass;
    BEGIN
      FOR r IN SELECT rel FROM pgpulse.done_partitions() LOOP EXECUTE format('DROP TABLE %s', r); END LOOP;
    END $$`);
  await sql.query(
    `UPDATE pgpulse.partitioning SET partition_interval = $1::interval, ready_until = '-infinity'`,
    [width],
  );
  await sql.query('SELECT pgpulse.ensure_done_partitions()');
}

async function measure(
  queue: Queue,
  sql: pg.Pool,
  fleet: Fleet,
  settings: VariantSettings,
  log: (line: string) => void,
) {
  const samples: Sample[] = [];
  const producer = startProducer(queue, QUEUE, settings.rate);
  const retention = startRetentionPasses(
    queue,
    sql,
    {
      olderThanMs: settings.olderThanMs,
      intervalMs: settings.retentionIntervalMs,
      kind: settings.retention,
    },
    log,
  );
  const started = Date.now();
  const take = async () => {
    const server = await sampleServer(sql);
    const at = Date.now();
    const previous = samples.at(-1);
    const latencies = fleet
      .reportsBetween(previous?.at ?? started - 1, at)
      .flatMap((report) => report.latencies);
    const sample: Sample = {
      ...server,
      at,
      t: (at - started) / 1000,
      sent: producer.sent(),
      handled: fleet.handled(),
      latency: latencies.length === 0 ? null : summarize(latencies),
      slowestSendMs: producer.takeSlowestSendMs(),
    };
    samples.push(sample);
    progress(settings.name, sample, previous, log);
  };
  try {
    await take();
    for (let next = settings.sampleMs; next <= settings.durationMs; next += settings.sampleMs) {
      await sleep(Math.max(0, started + next - Date.now()));
      const error = producer.error();
      if (error !== undefined) throw error;
      await take();
    }
  } finally {
    await producer.stop();
    await retention.stop();
  }
  const sent = producer.sent();
  await fleet.waitForHandled(sent, 120_000).catch((error: unknown) => log(`[trial] ${error}`));
  const window = (a: number, b: number): WindowSummary => {
    const latency: LatencySummary = summarize(
      fleet
        .reportsBetween((samples[a] as Sample).at, (samples[b] as Sample).at)
        .flatMap((report) => report.latencies),
    );
    return summarizeWindow(samples, retention.passes, a, b, latency);
  };
  const size = Math.max(1, Math.round(settings.windowMs / settings.sampleMs));
  const end = samples.length - 1;
  const timeline: WindowSummary[] = [];
  for (let a = 0; a < end; a += size) timeline.push(window(a, Math.min(end, a + size)));
  return {
    settings,
    samples,
    passes: retention.passes,
    first: window(0, Math.min(end, size)),
    last: window(Math.max(0, end - size), end),
    timeline,
    sent,
  };
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/** One line per sample on the console, to watch the run. */
function progress(name: string, s: Sample, previous: Sample | undefined, log: (l: string) => void) {
  const seconds = previous === undefined ? 0 : (s.at - previous.at) / 1000;
  const rate = previous === undefined ? 0 : (s.handled - previous.handled) / seconds;
  const latency =
    s.latency === null ? '-' : `${s.latency.p50.toFixed(1)}/${s.latency.p99.toFixed(1)} ms`;
  const line =
    `${name} t=${s.t.toFixed(0)}s handled ${rate.toFixed(0)}/s p50/p99 ${latency} ` +
    `pending ${s.jobs.pending} jobs ${mb(s.jobs.totalBytes)} dead ${s.jobs.counters?.dead ?? 0} ` +
    `done ${mb(s.done.totalBytes)} in ${s.done.partitions} (+default ${s.done.defaultRows}) ` +
    `load ${loadText()}`;
  console.log(`  ${line}`);
  log(`[trial] ${line}`);
}
