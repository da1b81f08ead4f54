/**
 * Issue 14, item 2: a sustained run with retention on, on a durable PostgreSQL server of its own.
 * A producer (this process) sends at a fixed rate into one queue, worker processes handle the
 * jobs with no-op handlers, retention runs every few seconds; the server is sampled throughout.
 * Three variants, each on a fresh database (see VARIANTS): `partitions` (jobs_done partitions a
 * minute wide, dropped whole during the run), `exact` (the same, each job deleted one by one as
 * its retention runs out) and `row-by-row` (partitions ten years wide: none is ever dropped). For the first and the
 * last minute of each: send→start latency, throughput, table and index sizes, dead tuples,
 * autovacuum work, WAL per job and retention pass times, and the ratio last/first.
 * `npm run bench:sustained [-- --quick]`; `-- --help` lists the flags. Writes
 * bench/results/runs/sustained-<timestamp>.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { Command } from 'commander';
import { printComparison, printTimeline } from './sustained/print.js';
import type { RetentionKind } from './sustained/retention-passes.js';
import { runVariant, type VariantResult, type VariantSettings } from './sustained/variant.js';
import { loadText, startTrialServer } from './trial/server.js';

/**
 * The width of jobs_done's partitions and the retention pass of each variant. `partitions`: what
 * the library does by default (a finished job leaves with its whole partition). `exact`: the
 * same partitions, `wholePartitions: false` (each job deleted one by one once its retention runs
 * out). `row-by-row`: partitions ten years wide, none ever dropped, every row deleted one by one
 * (as before jobs_done was partitioned).
 */
const VARIANTS: Record<string, { width: string; retention: RetentionKind }> = {
  partitions: { width: '1 minute', retention: 'whole-partitions' },
  exact: { width: '1 minute', retention: 'exact' },
  'row-by-row': { width: '10 years', retention: 'exact' },
};

const program = new Command()
  .name('bench:sustained')
  .description('A sustained run with retention on: does the hot path stay flat?')
  .option('--quick', 'small sizes: 500 jobs/s for 90 s per variant')
  .option('--rate <n>', 'jobs sent a second (default 2,000; quick 500)', Number)
  .option('--minutes <n>', 'minutes per variant (default 10; quick 1.5)', Number)
  .option('--workers <n>', 'worker processes, concurrency 16 each', Number, 2)
  .option(
    '--variants <list>',
    `comma-separated, of: ${Object.keys(VARIANTS).join(', ')}`,
    (value: string) => value.split(',').map((v) => v.trim()),
    Object.keys(VARIANTS),
  );

interface Options {
  quick?: boolean;
  rate?: number;
  minutes?: number;
  workers: number;
  variants: string[];
}

async function main(): Promise<void> {
  const options = program.parse().opts<Options>();
  const quick = options.quick === true;
  const unknown = options.variants.filter((v) => !(v in VARIANTS));
  if (unknown.length > 0) throw new Error(`Unknown variants: ${unknown.join(', ')}`);
  const durationMs = Math.round((options.minutes ?? (quick ? 1.5 : 10)) * 60_000);
  // The first and the last minute; a tenth of the run when that is shorter (quick mode).
  const windowMs = Math.min(60_000, durationMs / 10);
  const base = {
    rate: options.rate ?? (quick ? 500 : 2000),
    durationMs,
    windowMs,
    sampleMs: Math.min(10_000, windowMs / 3),
    workers: options.workers,
    concurrency: 16,
    // Quick runs are too short for a minute's retention to drop a minute-wide partition twice.
    olderThanMs: quick ? 15_000 : 60_000,
    retentionIntervalMs: quick ? 5_000 : 10_000,
  };
  const startedAt = new Date();
  const trial = await startTrialServer();
  const logs: string[] = [];
  const log = (line: string) => logs.push(`${new Date().toISOString()} ${line}`);
  try {
    const loadAtStart = loadavg();
    console.log(`${trial.description}\n${quick ? 'quick run' : 'full run'}; load ${loadText()}`);
    console.log(
      `${base.rate} jobs/s for ${durationMs / 1000} s per variant, ${base.workers} worker ` +
        `processes × concurrency 16, retention olderThanMs ${base.olderThanMs} every ` +
        `${base.retentionIntervalMs} ms, samples every ${base.sampleMs / 1000} s, windows of ` +
        `${windowMs / 1000} s\n`,
    );
    const variants: VariantResult[] = [];
    for (const name of options.variants) {
      const variant = VARIANTS[name] as (typeof VARIANTS)[string];
      const settings: VariantSettings = {
        ...base,
        name,
        partitionInterval: variant.width,
        retention: variant.retention,
      };
      console.log(`${name} (partition width ${settings.partitionInterval}): load ${loadText()}`);
      variants.push(await runVariant(trial.server.url, settings, log));
    }
    for (const variant of variants) {
      const { settings, load } = variant;
      console.log(
        `\n${settings.name}: ${variant.sent} sent, ${variant.handled} handled; load ` +
          `${loadText(load.before)} before, ${loadText(load.after)} after`,
      );
      printTimeline(variant);
    }
    console.log('\nFirst and last window (gauges: mean over the window; counts: during it)');
    printComparison(variants);
    const warnings = logs.filter((line) => / (warn|error):/.test(line));
    if (warnings.length > 0) {
      console.log(`\n${warnings.length} warnings or errors from the library, first ones:`);
      for (const line of warnings.slice(0, 5)) console.log(`  ${line}`);
    }
    const results = {
      startedAt: startedAt.toISOString(),
      quick,
      server: trial.description,
      load: { atStart: loadAtStart, atEnd: loadavg() },
      settings: base,
      variants,
      logs,
    };
    const file = `bench/results/runs/sustained-${startedAt.toISOString().replaceAll(':', '-')}.json`;
    await mkdir('bench/results/runs', { recursive: true });
    await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
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
