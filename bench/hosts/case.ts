import { loadavg } from 'node:os';
import pg from 'pg';
import { type LatencySummary, summarize } from '../../src/dev/percentiles.js';
import { Queue } from '../../src/index.js';
import { sleep } from '../harness.js';
import { Fleet } from '../trial/fleet.js';
import { startProducer } from '../trial/producer.js';
import { withScratchDatabase } from '../trial/server.js';
import { type ConnectionPeaks, watchConnections } from './connections.js';
import {
  attempts,
  type ClaimFigures,
  claimFigures,
  readStatements,
  resetStatements,
  type StatementFigures,
} from './statements.js';

const QUEUE = 'hosts';

/** One case: how many worker processes, with which pool. */
export interface HostsCase {
  readonly processes: number;
  /** The queue's `poolSize` in every process; undefined: the default (10). */
  readonly poolSize?: number;
}

/** What the parts of a case share. */
export interface HostsSettings {
  readonly backlog: number;
  readonly concurrency: number;
  /** Jobs a second in the steady part, given the case's drain rate; and how long it lasts. */
  readonly steadyRate: (drainJobsPerS: number) => number;
  readonly steadyMs: number;
}

/** What one part of a case measured. */
export interface PartResult {
  /** Jobs handled a second. */
  readonly jobsPerS: number;
  readonly handled: number;
  readonly ms: number;
  readonly connections: ConnectionPeaks;
  readonly claims: ClaimFigures;
  /** Statements run in the database during the part, most called first. */
  readonly statements: StatementFigures[];
  readonly load: { readonly before: number[]; readonly after: number[] };
}

/** What one case measured. */
export interface CaseResult {
  readonly case: HostsCase;
  readonly drain: PartResult;
  readonly steady: PartResult & {
    readonly rate: number;
    readonly sent: number;
    /** Send → handler start. */
    readonly latency: LatencySummary;
  };
}

/**
 * One case on a fresh database: the worker processes start on a paused queue, a backlog is sent,
 * and the queue is resumed (every process hears it at once): the drain. Then, with the same
 * processes, a producer sends single jobs at a steady rate: the steady part.
 */
export function runCase(
  adminUrl: string,
  hostsCase: HostsCase,
  settings: HostsSettings,
  log: (line: string) => void,
): Promise<CaseResult> {
  return withScratchDatabase(adminUrl, 'pgpulse_hosts', async (url) => {
    const sql = new pg.Pool({ connectionString: url, max: 3, application_name: 'pgpulse-bench' });
    // The trial's queue (sending, pausing) on a pool of its own name, apart from the workers'.
    const producerPool = new pg.Pool({
      connectionString: url,
      max: 8,
      application_name: 'pgpulse-bench-producer',
    });
    // An idle connection ended by the server's stop (the run was interrupted).
    for (const pool of [sql, producerPool]) pool.on('error', () => undefined);
    const queue = new Queue({ pool: producerPool, listen: false });
    let fleet: Fleet | undefined;
    try {
      await queue.migrate();
      await queue.queues.pause(QUEUE);
      fleet = await Fleet.start(
        {
          url,
          queue: QUEUE,
          processes: hostsCase.processes,
          concurrency: settings.concurrency,
          poolSize: hostsCase.poolSize,
        },
        log,
      );
      const drain = await drainPart(queue, sql, fleet, settings.backlog);
      const rate = settings.steadyRate(drain.jobsPerS);
      const steady = await steadyPart(queue, sql, fleet, rate, settings.steadyMs);
      return { case: hostsCase, drain, steady };
    } finally {
      await fleet?.stop();
      await queue.close();
      await producerPool.end();
      await sql.end();
    }
  });
}

async function drainPart(queue: Queue, sql: pg.Pool, fleet: Fleet, backlog: number) {
  for (let sent = 0; sent < backlog; sent += 5000) {
    const count = Math.min(5000, backlog - sent);
    await queue.sendBatch(
      QUEUE,
      Array.from({ length: count }, () => ({ payload: {} })),
    );
  }
  await sql.query('VACUUM (ANALYZE) pgpulse.jobs');
  await sql.query('CHECKPOINT');
  // Let the pools' idle connections from start-up close (10 s idle), so the peak is the drain's.
  await sleep(11_000);
  const before = loadavg();
  const attemptsBefore = await attempts(sql, QUEUE);
  await resetStatements(sql);
  const watch = watchConnections(sql);
  const started = Date.now();
  await queue.queues.resume(QUEUE);
  await fleet.waitForHandled(backlog, 600_000);
  const connections = await watch.stop();
  const statements = await readStatements(sql);
  const claimed = (await attempts(sql, QUEUE)) - attemptsBefore;
  // From the first handler start to the last one, over every process.
  const reports = fleet.reportsBetween(started, Date.now() + 1);
  const firsts = reports.flatMap((r) => (r.firstStartAt === null ? [] : [r.firstStartAt]));
  const lasts = reports.flatMap((r) => (r.lastStartAt === null ? [] : [r.lastStartAt]));
  const ms = Math.max(...lasts) - Math.min(...firsts);
  return {
    jobsPerS: ((backlog - 1) / ms) * 1000,
    handled: backlog,
    ms,
    connections,
    claims: claimFigures(statements, claimed),
    statements,
    load: { before, after: loadavg() },
  };
}

async function steadyPart(
  queue: Queue,
  sql: pg.Pool,
  fleet: Fleet,
  rate: number,
  steadyMs: number,
) {
  // The drain's connections close after 10 s idle: the peak is then the steady part's.
  await sleep(11_000);
  const before = loadavg();
  const attemptsBefore = await attempts(sql, QUEUE);
  const handledBefore = fleet.handled();
  await resetStatements(sql);
  const watch = watchConnections(sql);
  const started = Date.now();
  const producer = startProducer(queue, QUEUE, rate, 'single');
  await sleep(steadyMs);
  await producer.stop();
  const error = producer.error();
  if (error !== undefined) throw error;
  const ms = Date.now() - started;
  const sent = producer.sent();
  const handledInTime = fleet
    .reportsBetween(started, Date.now())
    .reduce((s, r) => s + r.handled, 0);
  await fleet.waitForHandled(handledBefore + sent, 120_000);
  const connections = await watch.stop();
  const statements = await readStatements(sql);
  const claimed = (await attempts(sql, QUEUE)) - attemptsBefore;
  const latency = summarize(
    fleet.reportsBetween(started, Date.now() + 1).flatMap((report) => report.latencies),
  );
  return {
    rate,
    sent,
    jobsPerS: (handledInTime / ms) * 1000,
    handled: handledInTime,
    ms,
    latency,
    connections,
    claims: claimFigures(statements, claimed),
    statements,
    load: { before, after: loadavg() },
  };
}
