import type { WindowSummary } from './report.js';
import type { VariantResult } from './variant.js';

type Row = [label: string, read: (w: WindowSummary) => number | null, digits: number];

const MB = 2 ** 20;

const ROWS: Row[] = [
  ['send→start p50 (ms)', (w) => w.latencyP50Ms, 2],
  ['send→start p99 (ms)', (w) => w.latencyP99Ms, 2],
  ['sent (jobs/s)', (w) => w.sentPerS, 0],
  ['handled (jobs/s)', (w) => w.handledPerS, 0],
  ['claim statement, mean (ms)', (w) => w.claimMeanMs, 3],
  ['jobs: total size (MB)', (w) => w.jobsTotalBytes / MB, 2],
  ['jobs: indexes (MB)', (w) => w.jobsIndexBytes / MB, 2],
  ['jobs: n_dead_tup', (w) => w.jobsDeadTuples, 0],
  ['jobs: n_live_tup', (w) => w.jobsLiveTuples, 0],
  ['jobs: autovacuums', (w) => w.jobsAutovacuums, 0],
  ['jobs: autoanalyzes', (w) => w.jobsAutoanalyzes, 0],
  ['jobs: autovacuum time (ms)', (w) => w.jobsAutovacuumMs, 0],
  ['jobs_done: total size (MB)', (w) => w.doneTotalBytes / MB, 1],
  ['jobs_done: indexes (MB)', (w) => w.doneIndexBytes / MB, 1],
  ['jobs_done: partitions', (w) => w.donePartitions, 1],
  ['jobs_done: rows in DEFAULT', (w) => w.doneDefaultRows, 0],
  ['jobs_done: autovacuums', (w) => w.doneAutovacuums, 0],
  ['jobs_done: autoanalyzes', (w) => w.doneAutoanalyzes, 0],
  ['jobs_done: autovacuum time (ms)', (w) => w.doneAutovacuumMs, 0],
  ['WAL bytes / job', (w) => w.walBytesPerJob, 0],
  ['WAL records / job', (w) => w.walRecordsPerJob, 2],
  ['WAL full-page images', (w) => w.walFullPageImages, 0],
  ['checkpoints', (w) => w.checkpoints, 0],
  ['retention passes', (w) => w.retentionPasses, 0],
  ['retention pass, mean (ms)', (w) => w.retentionMeanMs, 1],
  ['retention pass, max (ms)', (w) => w.retentionMaxMs, 1],
  ['retention: rows removed', (w) => w.retentionRowsDeleted, 0],
  ['... of which one by one', (w) => w.retentionRowsOneByOne, 0],
  ['retention: partitions dropped', (w) => w.partitionsDropped, 0],
];

const format = (value: number | null, digits: number) =>
  value === null || Number.isNaN(value)
    ? '-'
    : value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** `end / start`, or a dash when start is 0 or unknown. */
export function ratio(end: number | null, start: number | null): string {
  if (end === null || start === null || Number.isNaN(end) || Number.isNaN(start)) return '-';
  if (start === 0) return end === 0 ? '1.00' : '∞';
  return (end / start).toFixed(2);
}

/**
 * The comparison: for each variant its first and last window and their ratio (flat is 1.00),
 * then the last window of each other variant against row-by-row's.
 */
export function printComparison(variants: VariantResult[]): void {
  const baseline = variants.find((v) => v.settings.name === 'row-by-row');
  const others = baseline === undefined ? [] : variants.filter((v) => v !== baseline);
  const groups = [''];
  const head = ['figure'];
  for (const v of variants) {
    groups.push(v.settings.name, '', '');
    head.push('first', 'last', 'last/first');
  }
  for (const v of others) {
    groups.push(`last: ${v.settings.name}`);
    head.push('/ row-by-row');
  }
  const lines: string[][] = [groups, head];
  for (const [label, read, digits] of ROWS) {
    const line = [label];
    for (const v of variants) {
      line.push(format(read(v.first), digits), format(read(v.last), digits));
      line.push(ratio(read(v.last), read(v.first)));
    }
    for (const v of others) line.push(ratio(read(v.last), read((baseline as VariantResult).last)));
    lines.push(line);
  }
  printTable(lines);
}

/** One line per window from start to end, per variant: the run as it went. */
export function printTimeline(variant: VariantResult): void {
  const lines = [
    [
      'from-to (s)',
      'handled/s',
      'p50 ms',
      'p99 ms',
      'claim ms',
      'jobs MB',
      'dead tup',
      'done MB',
      'parts',
      'WAL B/job',
      'autovac',
      'pass ms',
      'one by one',
      'dropped',
    ],
  ];
  for (const w of variant.timeline) {
    lines.push([
      `${w.from.toFixed(0)}-${w.to.toFixed(0)}`,
      format(w.handledPerS, 0),
      format(w.latencyP50Ms, 2),
      format(w.latencyP99Ms, 2),
      format(w.claimMeanMs, 3),
      format(w.jobsTotalBytes / MB, 2),
      format(w.jobsDeadTuples, 0),
      format(w.doneTotalBytes / MB, 1),
      format(w.donePartitions, 1),
      format(w.walBytesPerJob, 0),
      `${w.jobsAutovacuums}+${w.doneAutovacuums}`,
      format(w.retentionMeanMs, 1),
      format(w.retentionRowsOneByOne, 0),
      format(w.partitionsDropped, 0),
    ]);
  }
  printTable(lines);
}

function printTable(lines: string[][]): void {
  const widths = lines[lines.length - 1]?.map((_, i) =>
    Math.max(...lines.map((line) => line[i]?.length ?? 0)),
  );
  for (const line of lines) {
    const cells = line.map((cell, i) =>
      i === 0 ? cell.padEnd(widths?.[i] ?? 0) : cell.padStart(widths?.[i] ?? 0),
    );
    console.log(`  ${cells.join('  ')}`);
  }
}
