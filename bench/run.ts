/**
 * `npm run bench`: pgpulse against graphile-worker, pg-boss, BullMQ's PostgreSQL backend and a
 * plain-SQL floor, every contender on its own fresh database in the same PostgreSQL server and
 * the same run. `npm run bench -- --help` lists the flags.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import { Command } from 'commander';
import pg from 'pg';
import { type DevDatabase, startDevDatabase } from '../src/dev/database.js';
import { renderChart } from './chart.js';
import { bullmq } from './contenders/bullmq.js';
import type { Contender } from './contenders/contender.js';
import { floor } from './contenders/floor.js';
import { graphileWorker } from './contenders/graphile-worker.js';
import { pgBoss } from './contenders/pg-boss.js';
import { pgpulse } from './contenders/pgpulse.js';
import { withFreshDatabase } from './harness.js';
import {
  judgeTargets,
  type ResultRow,
  renderNotes,
  renderProblems,
  renderTable,
  renderVerdicts,
} from './report.js';
import { delayed, idleLatency, steadyLoad } from './scenarios/latency.js';
import { FULL, type Measurement, QUICK, type Scenario } from './scenarios/scenario.js';
import { renderSchedules, schedules } from './scenarios/schedules.js';
import {
  backlogScaling,
  batchThroughput,
  drainThroughput,
  enqueueThroughput,
} from './scenarios/throughput.js';

const CONTENDERS: Contender[] = [
  pgpulse('work'),
  // prefetch as docs/guide/consuming.md recommends for handlers of a few ms or less: many times
  // the concurrency, so that each claim takes its 100 jobs.
  pgpulse('work', 256),
  pgpulse('observe'),
  graphileWorker,
  pgBoss,
  bullmq,
  floor,
];
const SCENARIOS: Scenario[] = [
  idleLatency,
  drainThroughput,
  enqueueThroughput,
  steadyLoad(false),
  steadyLoad(true),
  backlogScaling,
  delayed,
  batchThroughput,
  schedules,
];

const list = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

const program = new Command()
  .name('bench')
  .description('Latency and throughput of pgpulse and its peers, side by side in one run')
  .option('--quick', 'small sizes: the whole run in under two minutes')
  .option(
    '--scenarios <list>',
    `comma-separated, of: ${SCENARIOS.map((s) => s.id).join(', ')}`,
    list,
  )
  .option(
    '--contenders <list>',
    `comma-separated, of: ${CONTENDERS.map((c) => c.id).join(', ')}`,
    list,
  )
  .option(
    '--jobs <n>',
    'jobs in the drain and batch scenarios (default 10,000; quick 2,000)',
    Number,
  )
  .option('--backlog <n>', 'the big backlog (default 1,000,000; quick 40,000)', Number)
  .option(
    '--schedule-scales <list>',
    'schedule counts of the schedules scenario (default: 1,100,10000 where a contender goes that far)',
    (value: string) => list(value).map(Number),
  )
  .option('--database-url <url>', 'a PostgreSQL superuser URL instead of the embedded server')
  .option('--out <dir>', 'where to write results', 'bench/results')
  .addHelpText(
    'after',
    '\nExamples:\n  npm run bench -- --quick\n  npm run bench -- --scenarios idle-latency,drain --contenders pgpulse,graphile',
  );

interface Options {
  quick?: boolean;
  scenarios?: string[];
  contenders?: string[];
  jobs?: number;
  backlog?: number;
  scheduleScales?: number[];
  databaseUrl?: string;
  out: string;
}

function pick<T extends { id: string }>(all: T[], ids: string[] | undefined, what: string): T[] {
  if (ids === undefined) return all;
  const unknown = ids.filter((id) => !all.some((item) => item.id === id));
  if (unknown.length > 0)
    throw new Error(
      `Unknown ${what}: ${unknown.join(', ')} (known: ${all.map((i) => i.id).join(', ')})`,
    );
  return all.filter((item) => ids.includes(item.id));
}

async function describeServer(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      "SELECT current_setting('server_version') AS version, current_setting('synchronous_commit') AS synchronous_commit, current_setting('fsync') AS fsync, current_setting('shared_buffers') AS shared_buffers",
    );
    return rows[0] as Record<string, string>;
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const options = program.parse().opts<Options>();
  const params = { ...(options.quick ? QUICK : FULL) };
  if (options.jobs !== undefined) params.drainJobs = params.batchJobs = options.jobs;
  if (options.quick && options.jobs === undefined) params.bulkChunk = 5_000;
  if (options.backlog !== undefined) params.backlogBig = options.backlog;
  if (options.scheduleScales !== undefined) params.scheduleScales = options.scheduleScales;
  const contenders = pick(CONTENDERS, options.contenders, 'contenders');
  const scenarios = pick(SCENARIOS, options.scenarios, 'scenarios');

  const server: DevDatabase = await startDevDatabase({
    url: options.databaseUrl,
    envVars: ['PGPULSE_BENCH_DATABASE_URL'],
  });
  const postgres: Record<string, string> = {
    ...(await describeServer(server.url)),
    server: server.description,
  };
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
  console.log(
    `${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB; Node ${machine.node}; ` +
      `PostgreSQL ${postgres.version} (synchronous_commit=${postgres.synchronous_commit}, fsync=${postgres.fsync}) ` +
      `from ${server.description}${options.quick ? '; --quick sizes' : ''}\n`,
  );

  const rows: ResultRow[] = [];
  const bar = new SingleBar({
    format: ' {bar} {value}/{total} | {label}',
    hideCursor: true,
    clearOnComplete: true,
  });
  const joins = (scenario: Scenario, contender: Contender) =>
    contender.scenarios === undefined || contender.scenarios.includes(scenario.id);
  const pairs = scenarios.flatMap((scenario) =>
    contenders.filter((contender) => joins(scenario, contender)).map((c) => [scenario, c] as const),
  );
  bar.start(pairs.length, 0, { label: 'starting' });
  const started = Date.now();
  try {
    for (const [scenario, contender] of pairs) {
      bar.update({ label: `${scenario.title}: ${contender.name}` });
      const measurement = await withFreshDatabase(server.url, async (url) => {
        let instance: Awaited<ReturnType<Contender['create']>> | undefined;
        try {
          instance = await contender.create(url);
          return await scenario.run(instance, params, url, contender);
        } catch (error) {
          return {
            metrics: {},
            problems: [`failed: ${(error as Error).message}`],
          } satisfies Measurement;
        } finally {
          await instance?.close().catch(() => undefined);
        }
      });
      rows.push({ scenario: scenario.id, contender: contender.name, measurement });
      bar.increment();
    }
  } finally {
    bar.stop();
    await server.stop();
  }

  const baseline = CONTENDERS[0]?.name as string;
  const names = contenders.map((c) => c.name);
  console.log(renderTable(rows, names, baseline));
  console.log(
    '  ↓ lower is better, ↑ higher is better; (×r) = value ÷ pgpulse (work) in this run; ! = see errors; * = see notes',
  );
  console.log(`${renderNotes(rows)}\n`);
  const scheduled = renderSchedules(rows);
  if (scheduled !== '') console.log(`Recurring jobs:\n${scheduled}\n`);
  console.log('Targets (pgpulse, this run):');
  const verdicts = judgeTargets(rows, {
    pgpulse: baseline,
    prefetch: CONTENDERS[1]?.name as string,
    graphile: graphileWorker.name,
    floor: floor.name,
  });
  console.log(renderVerdicts(verdicts));
  console.log('\nExactly-once check:');
  console.log(renderProblems(rows));
  console.log('\nSettings:');
  for (const c of contenders) console.log(`  ${c.name}: ${c.settings}`);

  await mkdir(options.out, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const report = {
    at: new Date().toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    machine,
    postgres,
    params,
    contenders: contenders.map(({ name, id, settings }) => ({ name, id, settings })),
    verdicts,
    results: rows.map(({ scenario, contender, measurement }) => ({
      scenario,
      contender,
      metrics: measurement.metrics,
      problems: measurement.problems,
      notes: measurement.notes ?? [],
      unsupported: measurement.unsupported,
    })),
  };
  const title = `pgpulse bench, ${machine.cpus} × ${machine.cpuModel}, PostgreSQL ${postgres.version}`;
  const svg = await renderChart(rows, title, names);
  // Only a deliberate full run (every scenario and contender, full sizes) replaces the committed
  // reference, latest.json and latest.svg; any other run goes to runs/, which git ignores.
  const reference =
    !options.quick &&
    options.scenarios === undefined &&
    options.contenders === undefined &&
    options.jobs === undefined &&
    options.backlog === undefined;
  const dir = reference ? options.out : join(options.out, 'runs');
  await mkdir(dir, { recursive: true });
  const written = reference ? [`bench-${stamp}`, 'latest'] : [`bench-${stamp}`];
  for (const name of written) {
    await writeFile(join(dir, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(join(dir, `${name}.svg`), svg);
  }
  console.log(
    reference
      ? `\nWrote the reference run: ${join(dir, 'latest.json')} and latest.svg (${report.durationSeconds} s).`
      : `\nWrote ${join(dir, `bench-${stamp}.json`)} and .svg (${report.durationSeconds} s); ` +
          'the reference (latest.json) changes only with a full run.',
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
