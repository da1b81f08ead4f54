/**
 * Issue 14, item 3: many worker hosts against one server. 1, 4 and 8 worker processes (each
 * `queue.work` with concurrency 16 and the default pool; 8 again with `poolSize` 4), on a durable
 * PostgreSQL server of its own, each case on a fresh database: first a backlog drained, then a
 * steady rate of single sends. Reports jobs/s, the connections used (peak, by
 * `application_name`) and the share of claims that came back empty (from `pg_stat_statements`:
 * a claim returns one row per job, or one row when it claims nothing).
 * `npm run bench:hosts [-- --quick]`; `-- --help` lists the flags. Writes
 * bench/results/runs/hosts-<timestamp>.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { Command } from 'commander';
import { type CaseResult, type HostsCase, runCase } from './hosts/case.js';
import { caseName, printCases } from './hosts/print.js';
import { loadText, startTrialServer } from './trial/server.js';

const CASES: HostsCase[] = [
  { processes: 1 },
  { processes: 4 },
  { processes: 8 },
  { processes: 8, poolSize: 4 },
];

const program = new Command()
  .name('bench:hosts')
  .description('Many worker processes against one server: throughput, connections, empty claims')
  .option('--quick', 'small sizes: a 10,000-job backlog, 10 s of steady sending')
  .option('--backlog <n>', 'jobs in the backlog (default 50,000; quick 10,000)', Number)
  .option(
    '--steady-rate <n>',
    'jobs sent a second in the steady part (default: half the drain rate of the first case)',
    Number,
  )
  .option('--steady-seconds <n>', 'length of the steady part (default 30; quick 10)', Number)
  .option('--cases <list>', 'comma-separated processes[xPoolSize], e.g. 1,4,8,8x4');

interface Options {
  quick?: boolean;
  backlog?: number;
  steadyRate?: number;
  steadySeconds?: number;
  cases?: string;
}

function parseCases(text: string | undefined): HostsCase[] {
  if (text === undefined) return CASES;
  return text.split(',').map((item) => {
    const [processes, poolSize] = item.trim().split('x').map(Number);
    if (processes === undefined || !(processes > 0)) throw new Error(`Bad case: ${item}`);
    return poolSize === undefined ? { processes } : { processes, poolSize };
  });
}

async function main(): Promise<void> {
  const options = program.parse().opts<Options>();
  const quick = options.quick === true;
  // Single sends cost a commit each, as much as the claims and completions of several jobs: half
  // the drain rate of the first case (one process) keeps every case below saturation. The same
  // rate for every case, so that their empty claims compare.
  let steadyRate = options.steadyRate;
  const settings = {
    backlog: options.backlog ?? (quick ? 10_000 : 50_000),
    concurrency: 16,
    steadyRate: (drainJobsPerS: number) => {
      steadyRate ??= Math.max(100, Math.floor(drainJobsPerS / 2 / 100) * 100);
      return steadyRate;
    },
    steadyMs: (options.steadySeconds ?? (quick ? 10 : 30)) * 1000,
  };
  const cases = parseCases(options.cases);
  const startedAt = new Date();
  const trial = await startTrialServer();
  const logs: string[] = [];
  const log = (line: string) => logs.push(`${new Date().toISOString()} ${line}`);
  try {
    const loadAtStart = loadavg();
    console.log(`${trial.description}\n${quick ? 'quick run' : 'full run'}; load ${loadText()}`);
    console.log(
      `backlog ${settings.backlog} no-op jobs; then ${steadyRate ?? 'half the first drain rate in'} ` +
        `single sends/s for ${settings.steadyMs / 1000} s; concurrency 16 per process\n`,
    );
    const results: CaseResult[] = [];
    for (const hostsCase of cases) {
      const result = await runCase(trial.server.url, hostsCase, settings, log);
      results.push(result);
      console.log(
        `  ${caseName(result)}: drain ${Math.round(result.drain.jobsPerS)} jobs/s, steady ` +
          `${Math.round(result.steady.jobsPerS)} jobs/s (load ${loadText()})`,
      );
    }
    printCases(results);
    const warnings = logs.filter((line) => / (warn|error):/.test(line));
    if (warnings.length > 0) {
      console.log(`\n${warnings.length} warnings or errors from the library, first ones:`);
      for (const line of warnings.slice(0, 5)) console.log(`  ${line}`);
    }
    const file = `bench/results/runs/hosts-${startedAt.toISOString().replaceAll(':', '-')}.json`;
    await mkdir('bench/results/runs', { recursive: true });
    const out = {
      startedAt: startedAt.toISOString(),
      quick,
      server: trial.description,
      load: { atStart: loadAtStart, atEnd: loadavg() },
      settings: { ...settings, steadyRate },
      results,
      logs,
    };
    await writeFile(file, `${JSON.stringify(out, null, 2)}\n`);
    console.log(`\nWrote ${file}`);
  } finally {
    await trial.cleanup();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
