/**
 * Issue 17's numbers: how fast a queue drains when every group is capped at 1, against the same
 * jobs with no cap, and what one claim costs with 100,000 groups and 1,000,000 pending jobs.
 * `npm run bench:groups [-- --jobs 20000 --groups 1000 --wide 100000 --rounds 3]`. Workers are
 * `queue.work` in this process (handlers do nothing), so the figures are the claim path's, not a
 * handler's. The three drains run in turn, `--rounds` times (a noisy machine's drift then falls
 * on every variant alike); `--wide 0` skips the claim cost.
 */
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import pg from 'pg';
import { queriesFor } from '../src/db/queries.js';
import { dropScratchDatabase, startDevDatabase } from '../src/dev/database.js';
import { Queue, type QueueSettings } from '../src/index.js';

const arg = (name: string, fallback: number) =>
  process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback;
const jobs = arg('--jobs', 20_000);
const groups = arg('--groups', 1_000);
const wide = arg('--wide', 100_000);
const rounds = arg('--rounds', 3);

/** The middle value (the upper one of an even count). */
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;

/** Sends `jobs` jobs over `groups` groups, then drains them with two workers of 32 slots. */
async function drain(queue: Queue, name: string, settings: QueueSettings): Promise<number> {
  await queue.queues.create(name, settings);
  for (let i = 0; i < jobs; i += 5000) {
    const n = Math.min(5000, jobs - i);
    await queue.sendBatch(
      name,
      Array.from({ length: n }, (_, k) => ({ payload: {}, tenant: `t${(i + k) % groups}` })),
    );
  }
  let done = 0;
  let finished!: () => void;
  const all = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const started = performance.now();
  const workers = [0, 1].map(() =>
    queue.work(
      name,
      async () => {
        if (++done === jobs) finished();
      },
      { concurrency: 32 },
    ),
  );
  await all;
  const ms = performance.now() - started;
  await Promise.all(workers.map((worker) => worker.stop()));
  return (jobs / ms) * 1000;
}

/** Median time and buffers of one claim of `batch` (rolled back), over `runs` runs. */
async function claimCost(client: pg.Client, name: string, batch: number, runs: number) {
  const text = queriesFor('pgpulse').claim_jobs.text;
  const times: number[] = [];
  const buffers: number[] = [];
  for (let i = 0; i < runs + 3; i++) {
    await client.query('BEGIN');
    const t = performance.now();
    const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${text}`, [
      name,
      batch,
      30_000,
      'bench',
      null,
      null,
      0,
    ]);
    const ms = performance.now() - t;
    await client.query('ROLLBACK');
    const plan = rows[0]['QUERY PLAN'][0].Plan;
    if (i < 3) continue; // warm-up: the session plans the functions once
    times.push(ms);
    buffers.push(plan['Shared Hit Blocks'] + plan['Shared Read Blocks']);
  }
  return { ms: median(times).toFixed(2), buffers: median(buffers) };
}

async function main(): Promise<void> {
  const server = await startDevDatabase({ envVars: ['PGPULSE_BENCH_DATABASE_URL'] });
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  const name = `pgpulse_bench_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  const queue = new Queue({ connectionString: url.toString(), poolSize: 20 });
  const client = new pg.Client({ connectionString: url.toString() });
  try {
    await queue.migrate();
    await client.connect();
    console.log(
      `${cpus().length} × ${cpus()[0]?.model}; Node ${process.version}; ${server.description}`,
    );
    console.log(`drain: ${jobs} jobs over ${groups} groups, 2 workers × 32 slots\n`);
    const rates = { unlimited: [] as number[], fair: [] as number[], capped: [] as number[] };
    const ratios: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      const unlimited = await drain(queue, `unlimited-${round}`, {});
      const fair = await drain(queue, `fair-${round}`, { fairTenants: true });
      const capped = await drain(queue, `capped-${round}`, { groups: { concurrencyLimit: 1 } });
      rates.unlimited.push(unlimited);
      rates.fair.push(fair);
      rates.capped.push(capped);
      ratios.push(capped / unlimited);
    }
    const each = (values: number[]) => values.map((v) => Math.round(v)).join(' / ');
    const percents = ratios.map((r) => `${Math.round(r * 100)}%`).join(' / ');
    const rows: Record<string, string> = {
      'unlimited queue': `${each(rates.unlimited)} jobs/s`,
      'fair queue (no caps)': `${each(rates.fair)} jobs/s`,
      [`${groups} groups capped at 1`]: `${each(rates.capped)} jobs/s`,
      'capped ÷ unlimited, per round': `${percents} (median ${Math.round(median(ratios) * 100)}%)`,
    };
    console.table(rows);
    if (wide <= 0) return;

    console.log(`\nclaim cost: ${wide} groups × 10 pending jobs, each group capped at 1`);
    await queue.queues.create('wide', { groups: { concurrencyLimit: 1 } });
    await client.query(`
      WITH own AS MATERIALIZED (
        SELECT set_config('pgpulse.own_statement', statement_timestamp()::text, true) AS mark)
      INSERT INTO pgpulse.jobs (queue, tenant)
      SELECT 'wide', 'g' || (i % ${wide}) FROM own, generate_series(1, ${wide * 10}) AS i
      WHERE own.mark IS NOT NULL`);
    await client.query('VACUUM ANALYZE pgpulse.jobs');
    const cost: Record<string, { ms: string; buffers: number }> = {};
    for (const batch of [1, 10, 100])
      cost[`claim of ${batch}`] = await claimCost(client, 'wide', batch, 30);
    // 1,000 groups hold a running job (their caps are full) at the start of the walk.
    await queue.claim('wide', { batchSize: 1000 });
    cost['claim of 10, 1,000 full groups first'] = await claimCost(client, 'wide', 10, 30);
    console.table(cost);
  } finally {
    await client.end().catch(() => undefined);
    await queue.close();
    await dropScratchDatabase(admin, name);
    await admin.end();
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
