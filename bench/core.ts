/**
 * Core-path numbers for the library API alone (no peers, no streaming consumer): how fast jobs go
 * in, and how fast claim + complete take them out. `npm run bench:core [-- --jobs 20000]`.
 * Runs on the same provider order as the tests; durability is left at PostgreSQL's defaults.
 */
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import pg from 'pg';
import { dropScratchDatabase, startDevDatabase } from '../src/dev/database.js';
import { Queue } from '../src/index.js';

const jobs = Number(process.argv[process.argv.indexOf('--jobs') + 1]) || 20_000;

async function main(): Promise<void> {
  const server = await startDevDatabase({ envVars: ['PGPULSE_BENCH_DATABASE_URL'] });
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  const name = `pgpulse_bench_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  const queue = new Queue({ connectionString: url.toString(), poolSize: 40 });
  try {
    await queue.migrate();
    const settings = await admin.query(
      "SELECT current_setting('server_version') AS v, current_setting('synchronous_commit') AS sc, current_setting('fsync') AS f",
    );
    const s = settings.rows[0];
    console.log(
      `${cpus().length} × ${cpus()[0]?.model}; Node ${process.version}; PostgreSQL ${s.v} ` +
        `(synchronous_commit=${s.sc}, fsync=${s.f}); ${jobs} jobs; ${server.description}\n`,
    );
    const rows: [string, string][] = [];
    const rate = (n: number, ms: number) =>
      `${Math.round((n / ms) * 1000).toLocaleString('en')} jobs/s`;

    let t = performance.now();
    for (let i = 0; i < jobs; i += 5000) {
      const n = Math.min(5000, jobs - i);
      await queue.sendBatch(
        'bulk',
        Array.from({ length: n }, (_, k) => ({ payload: { k } })),
      );
    }
    rows.push(['sendBatch (5,000 per call)', rate(jobs, performance.now() - t)]);

    const singles = Math.min(jobs, 5000);
    t = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < singles) {
          next++;
          await queue.send('single', { n: next });
        }
      }),
    );
    rows.push(['send, 32 in flight', rate(singles, performance.now() - t)]);

    t = performance.now();
    let done = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (;;) {
          const claimed = await queue.claim('bulk', { batchSize: 50 });
          if (claimed.length === 0) return;
          await queue.completeMany(claimed.map((job) => ({ job })));
          done += claimed.length;
        }
      }),
    );
    rows.push(['claim 50 + completeMany, 8 loops', rate(done, performance.now() - t)]);
    if (done !== jobs) rows.push(['ERROR', `completed ${done} of ${jobs} jobs`]);

    t = performance.now();
    let one = 0;
    for (;;) {
      const [job] = await queue.claim('single');
      if (job === undefined) break;
      await queue.complete(job);
      one++;
    }
    rows.push(['claim 1 + complete, one loop', rate(one, performance.now() - t)]);
    console.table(Object.fromEntries(rows));
  } finally {
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
