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

/**
 * An SVG of the run: latency CDFs (idle, log scale) per contender, and throughput bars for the
 * drain and bulk-enqueue scenarios.
 */
export async function renderChart(rows: ResultRow[], title: string): Promise<string> {
  const latency = rows
    .filter((r) => r.scenario === 'idle-latency' && r.measurement.samples !== undefined)
    .flatMap((r) =>
      cdf(r.measurement.samples as number[]).map((p) => ({ ...p, contender: r.contender })),
    );
  const bars = rows.flatMap((r) => {
    const figure =
      r.scenario === 'drain'
        ? { scenario: 'drain (jobs/s)', value: r.measurement.metrics.jobsPerSec }
        : r.scenario === 'enqueue'
          ? { scenario: 'bulk enqueue (jobs/s)', value: r.measurement.metrics.bulkPerSec }
          : undefined;
    return figure?.value === undefined ? [] : [{ ...figure, contender: r.contender }];
  });
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    config: { font: 'sans-serif', view: { stroke: null } },
    hconcat: [
      {
        title: 'Idle latency: enqueue call → handler start (CDF)',
        width: 360,
        height: 240,
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
          color: { field: 'contender', type: 'nominal', legend: { orient: 'bottom', columns: 2 } },
        },
      },
      {
        title: 'Throughput',
        data: { values: bars },
        facet: { row: { field: 'scenario', type: 'nominal', title: null } },
        spec: {
          width: 300,
          height: 100,
          mark: 'bar',
          encoding: {
            y: { field: 'contender', type: 'nominal', title: null, sort: '-x' },
            x: { field: 'value', type: 'quantitative', title: 'jobs/s' },
            color: { field: 'contender', type: 'nominal', legend: null },
          },
        },
        resolve: { scale: { x: 'independent' } },
      },
    ],
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}
