import type { CaseResult, PartResult } from './case.js';

const int = (x: number) => (Number.isNaN(x) ? '-' : Math.round(x).toLocaleString('en'));
const fixed = (x: number, digits: number) => (Number.isNaN(x) ? '-' : x.toFixed(digits));
const percent = (x: number) => (Number.isNaN(x) ? '-' : `${(x * 100).toFixed(1)}%`);

/** `4 × pool 10`. */
export function caseName(result: CaseResult): string {
  const { processes, poolSize } = result.case;
  return `${processes} × pool ${poolSize ?? '10 (default)'}`;
}

function partCells(part: PartResult, processes: number): string[] {
  const pools = part.connections.open.pgpulse ?? 0;
  return [
    int(part.jobsPerS),
    `${pools} (${fixed(pools / processes, 1)}/proc)`,
    String(part.connections.active.pgpulse ?? 0),
    String(part.connections.open['pgpulse-listener'] ?? 0),
    int(part.claims.calls / (part.ms / 1000)),
    percent(part.claims.emptyShare),
    fixed(part.claims.jobsPerFullClaim, 1),
    fixed(part.claims.meanMs, 2),
  ];
}

const PART_HEAD = [
  'jobs/s',
  'pool conns (peak)',
  'active',
  'listen',
  'claims/s',
  'empty',
  'jobs/claim',
  'claim ms',
];

/** The drain and the steady part, a line per case. */
export function printCases(results: CaseResult[]): void {
  console.log('\nDrain of the backlog (first handler start to last)');
  printTable([
    ['processes × poolSize', ...PART_HEAD, 'load'],
    ...results.map((r) => [
      caseName(r),
      ...partCells(r.drain, r.case.processes),
      fixed(r.drain.load.before[0] ?? Number.NaN, 2),
    ]),
  ]);
  console.log('\nSteady rate, single sends (jobs/s: handled while sending)');
  printTable([
    ['processes × poolSize', 'rate', 'sent/s', ...PART_HEAD, 'p50 ms', 'p99 ms', 'load'],
    ...results.map((r) => [
      caseName(r),
      int(r.steady.rate),
      int((r.steady.sent / r.steady.ms) * 1000),
      ...partCells(r.steady, r.case.processes),
      fixed(r.steady.latency.p50, 2),
      fixed(r.steady.latency.p99, 2),
      fixed(r.steady.load.before[0] ?? Number.NaN, 2),
    ]),
  ]);
}

function printTable(lines: string[][]): void {
  const widths = lines[0]?.map((_, i) => Math.max(...lines.map((line) => line[i]?.length ?? 0)));
  for (const line of lines) {
    const cells = line.map((cell, i) =>
      i === 0 ? cell.padEnd(widths?.[i] ?? 0) : cell.padStart(widths?.[i] ?? 0),
    );
    console.log(`  ${cells.join('  ')}`);
  }
}
