/** The overview's chart lines, from the live series. Pure. */
import type { Overview } from '../../api-types.js';
import type { ChartSeries } from '../components/time-chart.js';

/** Line colours, dark enough on white, told apart by hue. */
const PALETTE = ['#1d4ed8', '#b45309', '#047857', '#7c3aed', '#be123c', '#0e7490', '#4d7c0f'];
const TOTAL_COLOR = '#0f172a';
/** At most this many queues get their own line; the total covers every queue. */
const MAX_QUEUE_LINES = 6;

export interface OverviewCharts {
  /** Bucket starts, seconds since the epoch (uPlot's unit). */
  times: number[];
  /** Jobs completed per second. */
  throughput: ChartSeries[];
  /** Failed attempts per finished attempt, %. */
  failureRate: ChartSeries[];
}

type Totals = { completed: number; failed: number };

function rate(totals: Totals | undefined, bucketSeconds: number): number {
  return (totals?.completed ?? 0) / bucketSeconds;
}

function failurePercent(totals: Totals | undefined): number | null {
  if (totals === undefined) return null;
  const attempts = totals.completed + totals.failed;
  return attempts === 0 ? null : (totals.failed / attempts) * 100;
}

/** The lines of both charts: the busiest queues each, and the total when there are several. */
export function overviewCharts(series: Overview['series']): OverviewCharts {
  const { points } = series;
  const bucketSeconds = Math.max(series.bucketMs, 1) / 1000;
  const volume = new Map<string, number>();
  for (const point of points) {
    for (const [queue, counts] of Object.entries(point.queues)) {
      volume.set(queue, (volume.get(queue) ?? 0) + counts.completed + counts.failed);
    }
  }
  const queues = [...volume.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, MAX_QUEUE_LINES)
    .map(([queue]) => queue)
    .sort();
  const totals: Totals[] = points.map((point) => {
    let completed = 0;
    let failed = 0;
    for (const counts of Object.values(point.queues)) {
      completed += counts.completed;
      failed += counts.failed;
    }
    return { completed, failed };
  });

  const throughput: ChartSeries[] = [];
  const failureRate: ChartSeries[] = [];
  if (volume.size !== 1) {
    throughput.push({
      label: 'all queues',
      color: TOTAL_COLOR,
      values: totals.map((t) => rate(t, bucketSeconds)),
    });
    failureRate.push({
      label: 'all queues',
      color: TOTAL_COLOR,
      values: totals.map(failurePercent),
    });
  }
  queues.forEach((queue, index) => {
    const color = PALETTE[index % PALETTE.length] ?? TOTAL_COLOR;
    throughput.push({
      label: queue,
      color,
      values: points.map((point) => rate(point.queues[queue], bucketSeconds)),
    });
    failureRate.push({
      label: queue,
      color,
      values: points.map((point) => failurePercent(point.queues[queue])),
    });
  });
  return { times: points.map((point) => point.t / 1000), throughput, failureRate };
}

/** A rate for an axis: "12", "1.5", "0.25". */
export function formatRate(value: number): string {
  if (value === 0) return '0';
  if (Math.abs(value) >= 10) return value.toFixed(0);
  if (Math.abs(value) >= 1) return value.toFixed(1);
  return value.toFixed(2);
}
