import Table from 'cli-table3';
import type { Measurement } from './scenarios/scenario.js';

/** One (scenario, contender) result. */
export interface ResultRow {
  scenario: string;
  contender: string;
  measurement: Measurement;
}

/** The figures shown in the tables: scenario, metric, unit, whether lower is better, table. */
const COLUMNS = [
  { scenario: 'idle-latency', metric: 'p50', label: 'idle p50', unit: 'ms', lower: true, t: 0 },
  { scenario: 'idle-latency', metric: 'p99', label: 'idle p99', unit: 'ms', lower: true, t: 0 },
  { scenario: 'steady-load', metric: 'p50', label: '500/s p50', unit: 'ms', lower: true, t: 0 },
  { scenario: 'steady-load', metric: 'p99', label: '500/s p99', unit: 'ms', lower: true, t: 0 },
  { scenario: 'steady-2000', metric: 'p50', label: '2000/s p50', unit: 'ms', lower: true, t: 0 },
  { scenario: 'steady-2000', metric: 'p99', label: '2000/s p99', unit: 'ms', lower: true, t: 0 },
  { scenario: 'delayed', metric: 'p99', label: 'delayed p99 late', unit: 'ms', lower: true, t: 0 },
  { scenario: 'drain', metric: 'jobsPerSec', label: 'drain', unit: '/s', lower: false, t: 1 },
  {
    scenario: 'enqueue',
    metric: 'bulkColdPerSec',
    label: 'bulk cold',
    unit: '/s',
    lower: false,
    t: 1,
  },
  { scenario: 'enqueue', metric: 'bulkPerSec', label: 'bulk warm', unit: '/s', lower: false, t: 1 },
  {
    scenario: 'enqueue',
    metric: 'singlePerSec',
    label: 'single ×32',
    unit: '/s',
    lower: false,
    t: 1,
  },
  {
    scenario: 'backlog',
    metric: 'ratio',
    label: 'big/small backlog',
    unit: '',
    lower: false,
    t: 1,
  },
  { scenario: 'batch', metric: 'jobsPerSec', label: 'batch', unit: '/s', lower: false, t: 1 },
  {
    scenario: 'schedules',
    metric: 'p99@100',
    label: 'tick p99 @100',
    unit: 'ms',
    lower: true,
    t: 0,
  },
  {
    scenario: 'schedules',
    metric: 'idleStatementsPerSec@100',
    label: 'idle stmts @100',
    unit: '/s',
    lower: true,
    t: 0,
  },
] as const;

function metricOf(
  rows: ResultRow[],
  contender: string,
  scenario: string,
  metric: string,
): number | undefined {
  return rows.find((r) => r.contender === contender && r.scenario === scenario)?.measurement
    .metrics[metric];
}

export function formatNumber(value: number, unit: string): string {
  if (!Number.isFinite(value)) return '—';
  if (unit === '/s') return `${Math.round(value).toLocaleString('en')}/s`;
  if (unit === 'ms') return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(2)} ms`;
  return value.toFixed(2);
}

/**
 * The terminal tables, latency then throughput: each figure with its ratio to pgpulse (work),
 * value ÷ pgpulse's.
 */
export function renderTable(rows: ResultRow[], contenders: string[], baseline: string): string {
  return [0, 1]
    .map((t) => COLUMNS.filter((c) => c.t === t && rows.some((r) => r.scenario === c.scenario)))
    .filter((present) => present.length > 0)
    .map((present) => renderOne(rows, contenders, baseline, present))
    .join('\n');
}

function renderOne(
  rows: ResultRow[],
  contenders: string[],
  baseline: string,
  present: (typeof COLUMNS)[number][],
): string {
  const table = new Table({
    head: ['', ...present.map((c) => `${c.label}${c.lower ? ' ↓' : ' ↑'}`)],
    style: { head: ['cyan'] },
  });
  for (const contender of contenders) {
    table.push([
      contender,
      ...present.map((c) => {
        const row = rows.find((r) => r.contender === contender && r.scenario === c.scenario);
        if (row?.measurement.unsupported) return 'n/a';
        const value = metricOf(rows, contender, c.scenario, c.metric);
        if (value === undefined) return row && row.measurement.problems.length > 0 ? 'ERROR' : '—';
        const base = metricOf(rows, baseline, c.scenario, c.metric);
        const ratio =
          contender === baseline || base === undefined ? '' : ` (×${(value / base).toFixed(2)})`;
        const flag =
          row && row.measurement.problems.length > 0
            ? ' !'
            : row && (row.measurement.notes?.length ?? 0) > 0
              ? ' *'
              : '';
        return `${formatNumber(value, c.unit)}${ratio}${flag}`;
      }),
    ]);
  }
  return table.toString();
}

/** One target of the issue, judged on this run's numbers. */
export interface Verdict {
  target: string;
  measured: string;
  met: boolean | null;
}

/** The contenders the targets compare. */
export interface TargetNames {
  pgpulse: string;
  /** pgpulse (work) with its opt-in prefetch. */
  prefetch: string;
  graphile: string;
  floor: string;
}

/** Judges issue 14's targets, as ratios within this run; `null` when the run lacked a figure. */
export function judgeTargets(rows: ResultRow[], names: TargetNames): Verdict[] {
  const m = (contender: string, scenario: string, metric: string) =>
    metricOf(rows, contender, scenario, metric);
  /** pgpulse's figure against another's, as `ours ÷ theirs`, judged by `ok`. */
  const ratio = (
    target: string,
    ours: string,
    theirs: string,
    scenario: string,
    metric: string,
    unit: string,
    ok: (r: number) => boolean,
  ): Verdict => {
    const a = m(ours, scenario, metric);
    const b = m(theirs, scenario, metric);
    if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b))
      return { target, measured: 'not measured', met: null };
    const r = a / b;
    return {
      target,
      measured: `${formatNumber(a, unit)} vs ${formatNumber(b, unit)}: ×${r.toFixed(2)}`,
      met: ok(r),
    };
  };
  const { pgpulse, prefetch, graphile, floor } = names;
  const absolute = (
    target: string,
    value: number | undefined,
    show: (v: number) => string,
    ok: (v: number) => boolean,
  ): Verdict =>
    value === undefined || !Number.isFinite(value)
      ? { target, measured: 'not measured', met: null }
      : { target, measured: show(value), met: ok(value) };
  const steady = (scenario: string, rate: string): Verdict[] => [
    ratio(`${rate} p50 ≤ 1.5× the floor's`, pgpulse, floor, scenario, 'p50', 'ms', (r) => r <= 1.5),
    ratio(`${rate} p99 ≤ the floor's`, pgpulse, floor, scenario, 'p99', 'ms', (r) => r <= 1),
  ];
  return [
    ratio("idle p50 ≤ the floor's", pgpulse, floor, 'idle-latency', 'p50', 'ms', (r) => r <= 1),
    ratio(
      "idle p50 ≤ 0.8× graphile-worker's",
      pgpulse,
      graphile,
      'idle-latency',
      'p50',
      'ms',
      (r) => r <= 0.8,
    ),
    ...steady('steady-load', 'steady 500/s'),
    ...steady('steady-2000', 'steady 2,000/s'),
    ratio(
      "bulk enqueue cold ≥ 0.8× the floor's",
      pgpulse,
      floor,
      'enqueue',
      'bulkColdPerSec',
      '/s',
      (r) => r >= 0.8,
    ),
    ratio(
      "bulk enqueue warm ≥ 0.8× the floor's",
      pgpulse,
      floor,
      'enqueue',
      'bulkPerSec',
      '/s',
      (r) => r >= 0.8,
    ),
    ratio(
      "drain ≥ 4× graphile-worker's (no prefetch)",
      pgpulse,
      graphile,
      'drain',
      'jobsPerSec',
      '/s',
      (r) => r >= 4,
    ),
    ratio(
      "drain ≥ 4× graphile-worker's (with prefetch)",
      prefetch,
      graphile,
      'drain',
      'jobsPerSec',
      '/s',
      (r) => r >= 4,
    ),
    absolute(
      'big-backlog drain within 20% of small',
      m(pgpulse, 'backlog', 'ratio'),
      (v) => `${(v * 100).toFixed(0)}%`,
      (v) => v >= 0.8,
    ),
    absolute(
      'delayed jobs start ≤ 5 ms late at p99',
      m(pgpulse, 'delayed', 'p99'),
      (v) => formatNumber(v, 'ms'),
      (v) => v <= 5,
    ),
    absolute(
      "a schedule's tick starts ≤ 5 ms late at p99 with 10,000 schedules",
      m(pgpulse, 'schedules', 'p99@10000'),
      (v) => formatNumber(v, 'ms'),
      (v) => v <= 5,
    ),
  ];
}

export function renderVerdicts(verdicts: Verdict[]): string {
  return verdicts
    .map(
      (v) =>
        `  ${v.met === null ? '·' : v.met ? '✓' : '✗'} ${v.target}: ${v.measured}${v.met === false ? ' (missed)' : ''}`,
    )
    .join('\n');
}

/** The notes of the run: contenders that did not finish within the cap, and the like. */
export function renderNotes(rows: ResultRow[]): string {
  const lines = rows.flatMap((r) =>
    (r.measurement.notes ?? []).map((n) => `  * ${r.contender} / ${r.scenario}: ${n}`),
  );
  return lines.length === 0 ? '' : `\nNotes:\n${lines.join('\n')}`;
}

/** Every exactly-once violation or failure, per contender and scenario. */
export function renderProblems(rows: ResultRow[]): string {
  const lines = rows.flatMap((r) =>
    r.measurement.problems.map((p) => `  ERROR ${r.contender} / ${r.scenario}: ${p}`),
  );
  return lines.length === 0
    ? '  none: every job of every contender ran exactly once'
    : lines.join('\n');
}
