import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { NonRetryableError, Queue } from '../index.js';
import { dropScratchDatabase, startDevDatabase } from './database.js';

/**
 * `npm run demo`: starts a PostgreSQL (embedded unless PGPULSE_DEMO_DATABASE_URL is set), sends
 * jobs, processes them through the public API, prints what happened and exits.
 */
async function main(): Promise<void> {
  const started = Date.now();
  const server = await startDevDatabase({ envVars: ['PGPULSE_DEMO_DATABASE_URL'] });
  console.log(`PostgreSQL: ${server.description}`);
  // A database of its own, dropped at the end: the demo never touches existing tables.
  const name = `pgpulse_demo_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  const queue = new Queue({ connectionString: url.toString(), leaseMs: 5000 });
  try {
    await demo(queue);
  } finally {
    await queue.close();
    await dropScratchDatabase(admin, name);
    await admin.end();
    await server.stop();
  }
  console.log(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}

async function demo(queue: Queue): Promise<void> {
  const { applied } = await queue.migrate();
  console.log(`Schema: applied ${applied.map((m) => `${m.id}_${m.name}`).join(', ')}\n`);

  // Produce: a bulk batch, an urgent job, a delayed one, one that fails before succeeding, a
  // poison job, an idempotent duplicate and a job cancelled before it runs.
  const images = Array.from({ length: 500 }, (_, i) => ({ payload: { image: `img-${i}.png` } }));
  await queue.sendBatch('thumbnails', images);
  log('sent 500 thumbnail jobs in one statement');
  await queue.send('thumbnails', { image: 'ceo-portrait.png' }, { priority: -10 });
  log('sent an urgent job (priority -10): it runs first');
  await queue.send('thumbnails', { image: 'later.png' }, { delayMs: 300 });
  log('sent a job delayed by 300 ms');
  await queue.send(
    'thumbnails',
    { image: 'flaky.png', failTimes: 2 },
    {
      backoff: { type: 'fixed', delayMs: 50 },
    },
  );
  log('sent a flaky job that fails twice, retried after 50 ms each time');
  await queue.send('thumbnails', { image: 'corrupt.png', corrupt: true });
  log('sent a corrupt image: its handler throws NonRetryableError');
  const first = await queue.send(
    'thumbnails',
    { image: 'report.pdf' },
    { idempotencyKey: 'report-1' },
  );
  const again = await queue.send(
    'thumbnails',
    { image: 'report.pdf' },
    { idempotencyKey: 'report-1' },
  );
  log(
    `sent report-1 twice: second send duplicate=${again.duplicate}, same id=${again.id === first.id}`,
  );
  const doomed = await queue.send('thumbnails', { image: 'unwanted.png' });
  await queue.cancel(doomed.id);
  log('sent and cancelled unwanted.png: it will never run');

  // Consume: claim in batches, settle each job; the sweeper guards against crashed holders.
  const sweeper = queue.sweeper({ intervalMs: 1000 }).start();
  const order: string[] = [];
  let idleRounds = 0;
  while (idleRounds < 50) {
    const jobs = await queue.claim<{ image: string; failTimes?: number; corrupt?: boolean }>(
      'thumbnails',
      { batchSize: 50 },
    );
    if (jobs.length === 0) {
      const { counts } = await queue.stats('thumbnails');
      if (counts.pending === 0 && counts.running === 0) break;
      idleRounds++;
      await new Promise((resolve) => setTimeout(resolve, 20)); // polling; next issue: LISTEN
      continue;
    }
    idleRounds = 0;
    await Promise.all(
      jobs.map(async (job) => {
        order.push(job.payload.image);
        try {
          if (job.payload.corrupt) throw new NonRetryableError(`${job.payload.image} is corrupt`);
          if ((job.payload.failTimes ?? 0) >= job.attempts) {
            throw new Error(`transient failure on attempt ${job.attempts}`);
          }
          await queue.complete(job, { thumbnail: job.payload.image.replace('.', '.thumb.') });
        } catch (error) {
          const outcome = await queue.fail(job, error);
          log(
            `${job.payload.image} attempt ${job.attempts} failed (${(error as Error).message}) -> ${outcome.state}`,
          );
        }
      }),
    );
  }
  await sweeper.stop();

  log(`first job processed: ${order[0]}`);
  log(`delayed job processed at position ${order.indexOf('later.png') + 1} of ${order.length}`);
  const stats = await queue.stats('thumbnails');
  console.log('\nFinal state of queue "thumbnails":');
  console.table(stats.counts);
}

function log(message: string): void {
  console.log(`  ${new Date().toISOString().slice(11, 23)}  ${message}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
