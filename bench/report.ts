import Table from 'cli-table3';
import type { Measurement } from './scenarios/scenario.js';

/** One (scenario, contender) result. */
export interface ResultRow {
  scenario: string;
  contender: string;
  measurement: Measurement;
}

/** The figures shown in the table: scenario, metric, unit, and whether lower is better. */
const COLUMNS = [
  { scenario: 'idle-latency', metric: 'p50', label: 'idle p50', unit: 'ms', lower: true },
  { scenario: 'idle-latency', metric: 'p99', label: 'idle p99', unit: 'ms', lower: true },
  { scenario: 'drain', metric: 'jobsPerSec', label: 'drain', unit: '/s', lower: false },
  { scenario: 'enqueue', metric: 'bulkPerSec', label: 'enqueue bulk', unit: '/s', lower: false },
  { scenario: 'enqueue', metric: 'singlePerSec', label: 'enqueue ×32', unit: '/s', lower: false },
  { scenario: 'steady-load', metric: 'p50', label: 'steady p50', unit: 'ms', lower: true },
  { scenario: 'steady-load', metric: 'p99', label: 'steady p99', unit: 'ms', lower: true },
  { scenario: 'backlog', metric: 'ratio', label: 'big/small backlog', unit: '', lower: false },
  { scenario: 'delayed', metric: 'p99', label: 'delayed p99 late', unit: 'ms', lower: true },
  { scenario: 'batch', metric: 'jobsPerSec', label: 'batch', unit: '/s', lower: false },
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

/** The terminal table: each figure with its ratio to pgpulse (work), value ÷ pgpulse's. */
export function renderTable(rows: ResultRow[], contenders: string[], baseline: string): string {
  const present = COLUMNS.filter((c) => rows.some((r) => r.scenario === c.scenario));
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

/** Judges the targets; `null` when the run lacked the figures. */
export function judgeTargets(rows: ResultRow[], baseline: string, graphile: string): Verdict[] {
  const m = (contender: string, scenario: string, metric: string) =>
    metricOf(rows, contender, scenario, metric);
  const verdict = (
    target: string,
    value: number | undefined,
    show: (v: number) => string,
    ok: (v: number) => boolean,
  ): Verdict =>
    value === undefined || !Number.isFinite(value)
      ? { target, measured: 'not measured', met: null }
      : { target, measured: show(value), met: ok(value) };
  const idleP50 = m(baseline, 'idle-latency', 'p50');
  const graphileP50 = m(graphile, 'idle-latency', 'p50');
  const drain = m(baseline, 'drain', 'jobsPerSec');
  const graphileDrain = m(graphile, 'drain', 'jobsPerSec');
  return [
    verdict(
      'idle latency p50 ≤ 1 ms',
      idleP50,
      (v) => formatNumber(v, 'ms'),
      (v) => v <= 1,
    ),
    verdict(
      'idle latency p99 ≤ 3 ms',
      m(baseline, 'idle-latency', 'p99'),
      (v) => formatNumber(v, 'ms'),
      (v) => v <= 3,
    ),
    verdict(
      'idle p50 at least 2× better than graphile-worker',
      idleP50 !== undefined && graphileP50 !== undefined ? graphileP50 / idleP50 : undefined,
      (v) => `${v.toFixed(2)}×`,
      (v) => v >= 2,
    ),
    verdict(
      'drain ≥ 3× graphile-worker',
      drain !== undefined && graphileDrain !== undefined ? drain / graphileDrain : undefined,
      (v) => `${v.toFixed(2)}×`,
      (v) => v >= 3,
    ),
    verdict(
      'bulk enqueue ≥ 100,000 jobs/s',
      m(baseline, 'enqueue', 'bulkPerSec'),
      (v) => formatNumber(v, '/s'),
      (v) => v >= 100_000,
    ),
    verdict(
      'big-backlog drain within 20% of small',
      m(baseline, 'backlog', 'ratio'),
      (v) => `${(v * 100).toFixed(0)}%`,
      (v) => v >= 0.8,
    ),
    verdict(
      'delayed jobs start ≤ 5 ms late at p99',
      m(baseline, 'delayed', 'p99'),
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
