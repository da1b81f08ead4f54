import * as vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { compile } from 'vega-lite';
import type { ResultRow } from './report.js';

/** At most this many points per CDF line: enough for the shape, small enough for a README. */
const CDF_POINTS = 200;

function cdf(samples: number[]): { latency: number; fraction: number }[] {
  const sorted = [...samples].sort((a, b) => a - b);
  const step = Math.max(1, Math.floor(sorted.length / CDF_POINTS));
  const points = [];
  for (let i = 0; i < sorted.length; i += step) {
    points.push({
      latency: Math.max(0.01, sorted[i] as number),
      fraction: (i + 1) / sorted.length,
    });
  }
  const last = sorted.at(-1);
  if (last !== undefined) points.push({ latency: Math.max(0.01, last), fraction: 1 });
  return points;
}

/** The throughput figures charted as bars, in order. */
const BARS = [
  { scenario: 'drain', metric: 'jobsPerSec', title: 'Drain, concurrency 16 (jobs/s)' },
  { scenario: 'enqueue', metric: 'bulkPerSec', title: 'Bulk enqueue (jobs/s)' },
  { scenario: 'batch', metric: 'jobsPerSec', title: 'Batch consumption (jobs/s)' },
] as const;

/**
 * An SVG of the run: latency CDFs (idle, log scale) per contender, and a bar chart per throughput
 * figure. Each contender keeps one colour throughout; a panel without data is left out.
 */
export async function renderChart(
  rows: ResultRow[],
  title: string,
  contenders: string[],
): Promise<string> {
  const color = { field: 'contender', type: 'nominal', scale: { domain: contenders } } as const;
  const latency = rows
    .filter((r) => r.scenario === 'idle-latency' && r.measurement.samples !== undefined)
    .flatMap((r) =>
      cdf(r.measurement.samples as number[]).map((p) => ({ ...p, contender: r.contender })),
    );
  const bars = BARS.map((bar) => ({
    title: bar.title,
    values: rows
      .filter((r) => r.scenario === bar.scenario && r.measurement.metrics[bar.metric] !== undefined)
      .map((r) => ({ contender: r.contender, value: r.measurement.metrics[bar.metric] })),
  })).filter((bar) => bar.values.length > 0);
  const panels: TopLevelSpec[] = [];
  if (latency.length > 0) {
    panels.push({
      title: 'Idle latency: enqueue call → handler start (CDF)',
      width: 380,
      height: 260,
      data: { values: latency },
      mark: { type: 'line', interpolate: 'step-after' },
      encoding: {
        x: {
          field: 'latency',
          type: 'quantitative',
          scale: { type: 'log' },
          title: 'ms (log scale)',
        },
        y: {
          field: 'fraction',
          type: 'quantitative',
          title: 'fraction of jobs',
          axis: { format: '%' },
        },
        color: { ...color, legend: { orient: 'bottom', columns: 2, title: null, labelLimit: 320 } },
      },
    } as TopLevelSpec);
  }
  if (bars.length > 0) {
    panels.push({
      vconcat: bars.map((bar) => ({
        title: bar.title,
        width: 300,
        height: 18 * bar.values.length,
        data: { values: bar.values },
        mark: 'bar',
        encoding: {
          y: { field: 'contender', type: 'nominal', title: null, sort: contenders },
          x: { field: 'value', type: 'quantitative', title: null },
          color,
        },
      })),
    } as TopLevelSpec);
  }
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    config: { font: 'sans-serif', view: { stroke: null } },
    hconcat: panels,
    resolve: { scale: { color: 'shared' } },
  } as TopLevelSpec;
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}
