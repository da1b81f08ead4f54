import pg from 'pg';
import { summarize } from '../../src/dev/percentiles.js';
import { sleep } from '../harness.js';
import type { BenchParams, Measurement, Scenario } from './scenario.js';

/**
 * Statements sent by this process, counted on `pg.Client` (every contender uses this one `pg`):
 * while nothing is due, all the statements the database sees from the contender.
 */
let sent = 0;
let counting = false;
function countStatements(): void {
  if (counting) return;
  counting = true;
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    sent++;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
}

/** Transactions committed in the database so far (the server's statistics, flushed lazily). */
async function commits(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      'SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()',
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

/**
 * The cost of idle schedules: statements per second this process sent, and transactions per
 * second the database committed (our own two reads of the statistics excluded), over `windowMs`
 * after a settling second. The server flushes a backend's statistics at most every second (and
 * an idle backend's within ten), so the commit rate is approximate; the statement count is exact.
 */
function idleSampler(url: string, windowMs: number) {
  return async (): Promise<Record<string, number>> => {
    await sleep(1000);
    const commitsBefore = await commits(url);
    const sentBefore = sent;
    const start = performance.now();
    await sleep(windowMs);
    const seconds = (performance.now() - start) / 1000;
    const statements = sent - sentBefore;
    // Let the server flush the statistics of the window before reading them.
    await sleep(1500);
    const committed = (await commits(url)) - commitsBefore - 1;
    return { statementsPerSec: statements / seconds, commitsPerSec: committed / seconds };
  };
}

/** Windows of the scenario: quick sizes for `--quick`. */
function windows(params: BenchParams): { tickMs: number; idleMs: number } {
  return params.capMs < 60_000
    ? { tickMs: 3_000, idleMs: 5_000 }
    : { tickMs: 10_000, idleMs: 10_000 };
}

/**
 * Recurring jobs at 1, 100 and 10,000 schedules (as far as each contender goes): how late each
 * tick's handler starts after the tick's due time (p50, p99), and what idle schedules cost the
 * database (statements per second while nothing is due).
 */
export const schedules: Scenario = {
  id: 'schedules',
  title: 'Recurring jobs (handler start − tick; idle statements/s)',
  async run(instance, params, url) {
    const api = instance.recurring;
    if (api === undefined) {
      return { metrics: {}, problems: [], unsupported: 'no recurring jobs in this adapter' };
    }
    countStatements();
    const { tickMs, idleMs } = windows(params);
    const metrics: Record<string, number> = {};
    const problems: string[] = [];
    const notes = [`tick resolution: ${api.resolution}`];
    let samples: number[] = [];
    const scales = api.scales.filter(
      (count) => params.scheduleScales === undefined || params.scheduleScales.includes(count),
    );
    for (const count of scales) {
      const idle = await api.idle(count, idleSampler(url, idleMs));
      metrics[`idleStatementsPerSec@${count}`] = idle.statementsPerSec ?? Number.NaN;
      metrics[`idleCommitsPerSec@${count}`] = idle.commitsPerSec ?? Number.NaN;
      const run = await api.measure(count, tickMs);
      const { p50, p99, max } = summarize(run.lateness);
      metrics[`p50@${count}`] = p50;
      metrics[`p99@${count}`] = p99;
      metrics[`max@${count}`] = max;
      metrics[`ticks@${count}`] = run.lateness.length;
      if (run.recorded !== undefined && run.recorded.length > 0) {
        const recorded = summarize(run.recorded);
        metrics[`startedP50@${count}`] = recorded.p50;
        metrics[`startedP99@${count}`] = recorded.p99;
        metrics[`startedMax@${count}`] = recorded.max;
      }
      if (run.duplicates > 0)
        problems.push(`${run.duplicates} ticks ran twice at ${count} schedules`);
      if (run.lateness.length === 0) problems.push(`no tick ran at ${count} schedules`);
      samples = run.lateness;
    }
    return { metrics, samples, problems, notes } satisfies Measurement;
  },
};

/** The schedules scenario's figures, one line per contender and scale. */
export function renderSchedules(
  rows: { scenario: string; contender: string; measurement: Measurement }[],
): string {
  const lines: string[] = [];
  for (const row of rows.filter((r) => r.scenario === 'schedules')) {
    if (row.measurement.unsupported) continue;
    const m = row.measurement.metrics;
    const scales = Object.keys(m)
      .filter((key) => key.startsWith('ticks@'))
      .map((key) => key.slice('ticks@'.length));
    for (const scale of scales) {
      const f = (key: string, digits = 2) => (m[`${key}@${scale}`] ?? Number.NaN).toFixed(digits);
      const started =
        m[`startedP50@${scale}`] === undefined
          ? ''
          : ` (job start as recorded: p50 ${f('startedP50')} ms, p99 ${f('startedP99')} ms, max ${f('startedMax')} ms)`;
      lines.push(
        `  ${row.contender}, ${Number(scale).toLocaleString('en')} schedules: ` +
          `handler late p50 ${f('p50')} ms, p99 ${f('p99')} ms, max ${f('max')} ms over ${f('ticks', 0)} ticks${started}; ` +
          `idle: ${f('idleStatementsPerSec', 1)} statements/s sent, ${f('idleCommitsPerSec', 1)} commits/s`,
      );
    }
  }
  return lines.join('\n');
}
