import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { mergeMap } from 'rxjs';
import {
  JobCancelledError,
  type JobEventType,
  NonRetryableError,
  Queue,
  type ReceivedJob,
} from '../index.js';
import { dropScratchDatabase, startDevDatabase } from './database.js';
import { summarize } from './percentiles.js';

/**
 * `npm run demo` (`pgpulse demo`): the streaming consumer on an embedded PostgreSQL (or
 * PGPULSE_DEMO_DATABASE_URL). A consumer subscribes to a queue as an RxJS stream; jobs are
 * enqueued; the enqueue-to-start latency is measured and printed; then everything shuts down.
 */
export async function runDemo(options: { databaseUrl?: string | undefined } = {}): Promise<void> {
  const started = Date.now();
  const server = await startDevDatabase({
    url: options.databaseUrl,
    envVars: ['PGPULSE_DEMO_DATABASE_URL', 'PGPULSE_DATABASE_URL', 'DATABASE_URL'],
  });
  // A database of its own, dropped at the end: the demo never touches existing tables.
  const name = `pgpulse_demo_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server.url });
  // A client held for the whole demo: a dropped connection must not end the process unheard.
  admin.on('error', (error) => console.error(`pgpulse demo: admin connection failed: ${error}`));
  await admin.connect();
  const { rows } = await admin.query<{ v: string; sc: string }>(
    "SELECT current_setting('server_version') AS v, current_setting('synchronous_commit') AS sc",
  );
  console.log(
    `PostgreSQL ${rows[0]?.v} (synchronous_commit=${rows[0]?.sc}): ${server.description}`,
  );
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  const queue = new Queue({ connectionString: url.toString() });
  try {
    await demo(queue);
  } finally {
    await queue.close();
    await dropScratchDatabase(admin, name);
    await admin.end();
    await server.stop();
  }
  console.log(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s; everything closed.`);
}

interface Thumbnail {
  image: string;
  sentAt?: number;
  failTimes?: number;
  corrupt?: boolean;
  slow?: boolean;
}

async function demo(queue: Queue): Promise<void> {
  const { applied } = await queue.migrate();
  console.log(`Schema: applied ${applied.map((m) => `${m.id}_${m.name}`).join(', ')}\n`);

  // Every lifecycle event, from any process, while someone watches.
  const eventCounts = new Map<JobEventType, number>();
  const events = queue.events('thumbnails').subscribe((event) => {
    eventCounts.set(event.type, (eventCounts.get(event.type) ?? 0) + 1);
  });
  // Watching starts once LISTEN is up and the watcher is registered: only then send.
  await until(async () => {
    const { rows } = await queue.pool.query('SELECT 1 FROM pgpulse.event_watchers');
    return rows.length > 0;
  });

  // The consumer: the queue as an Observable, handled 8 at a time with RxJS.
  const startedAt = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  const consumer = queue
    .observe<Thumbnail>('thumbnails', { prefetch: 16 })
    .pipe(mergeMap((job) => handle(job, startedAt, waiters), 8))
    .subscribe();
  const whenStarted = (image: string) =>
    new Promise<void>((resolve) => {
      if (startedAt.has(image)) resolve();
      else waiters.set(image, resolve);
    });

  console.log("1. A consumer subscribed: queue.observe('thumbnails').pipe(mergeMap(handle, 8))");
  await queue.send('thumbnails', { image: 'warm-up.png' });
  await whenStarted('warm-up.png');
  const latencies: number[] = [];
  for (let i = 0; i < 300; i++) {
    const image = `idle-${i}.png`;
    const sentAt = performance.now();
    await queue.send('thumbnails', { image, sentAt });
    await whenStarted(image);
    latencies.push((startedAt.get(image) as number) - sentAt);
  }
  const s = summarize(latencies);
  const ms = (x: number) => `${x.toFixed(2)} ms`;
  console.log(
    `   Idle latency, 300 jobs one at a time, send() call -> handler start:\n` +
      `   p50 ${ms(s.p50)}   p90 ${ms(s.p90)}   p99 ${ms(s.p99)}   max ${ms(s.max)}`,
  );

  const burst = Array.from({ length: 5000 }, (_, i) => ({ payload: { image: `burst-${i}.png` } }));
  const burstStart = performance.now();
  await queue.sendBatch('thumbnails', burst);
  await whenStarted('burst-4999.png');
  await waitUntil(async () => (await queue.stats('thumbnails')).counts.pending === 0);
  const burstMs = performance.now() - burstStart;
  console.log(
    `2. Burst: 5,000 jobs in one sendBatch() statement, all started within ${burstMs.toFixed(0)} ms ` +
      `(${Math.round(5000 / (burstMs / 1000)).toLocaleString('en')} jobs/s)`,
  );

  const due = Date.now() + 250;
  await queue.send('thumbnails', { image: 'delayed.png' }, { runAt: new Date(due) });
  await whenStarted('delayed.png');
  const lateBy = performance.timeOrigin + (startedAt.get('delayed.png') as number) - due;
  console.log(
    `3. A job delayed by 250 ms started ${lateBy.toFixed(1)} ms after it was due ` +
      '(a timer armed from its NOTIFY, not the 1 s poll)',
  );

  const flaky = await queue.send(
    'thumbnails',
    { image: 'flaky.png', failTimes: 2 },
    {
      backoff: { type: 'fixed', delayMs: 50 },
    },
  );
  const poison = await queue.send('thumbnails', { image: 'corrupt.png', corrupt: true });
  await waitUntil(async () => (await queue.getJob(flaky.id))?.state === 'completed');
  await waitUntil(async () => (await queue.getJob(poison.id))?.state === 'dead');
  const flakyJob = await queue.getJob(flaky.id);
  console.log(
    `4. flaky.png failed twice, was retried after 50 ms each time and completed on attempt ` +
      `${flakyJob?.attempts}; corrupt.png threw NonRetryableError and went to dead at once`,
  );

  const slow = await queue.send('thumbnails', { image: 'slow.png', slow: true });
  await whenStarted('slow.png');
  const cancelAt = performance.now();
  await queue.cancel(slow.id);
  await whenStarted('slow.png:aborted');
  console.log(
    `5. Cancelling slow.png while it ran aborted its handler's signal ` +
      `${((startedAt.get('slow.png:aborted') as number) - cancelAt).toFixed(1)} ms later ` +
      '(NOTIFY on the cancel channel)',
  );

  consumer.unsubscribe();
  // Events arrive by NOTIFY, a moment after the writes: wait (up to 2 s) until every completion
  // the table records has been seen, so that the counts below agree.
  const final = (await queue.stats('thumbnails')).counts;
  await until(async () => (eventCounts.get('completed') ?? 0) >= final.completed);
  events.unsubscribe();
  const counts = [...eventCounts]
    .map(([type, n]) => `${type} ${n.toLocaleString('en')}`)
    .join(', ');
  console.log(`6. Lifecycle events seen by queue.events(): ${counts}`);
  console.log('\nFinal state of queue "thumbnails":');
  console.table(final);
}

/** Checks `done` every 10 ms until it holds, for 2 s at most (the demo goes on regardless). */
async function until(done: () => Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 2000; Date.now() < deadline; ) {
    if (await done()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function handle(
  job: ReceivedJob<Thumbnail>,
  startedAt: Map<string, number>,
  waiters: Map<string, () => void>,
): Promise<void> {
  const mark = (key: string) => {
    startedAt.set(key, performance.now());
    waiters.get(key)?.();
    waiters.delete(key);
  };
  mark(job.payload.image);
  try {
    if (job.payload.corrupt) throw new NonRetryableError(`${job.payload.image} is corrupt`);
    if ((job.payload.failTimes ?? 0) >= job.attempts) throw new Error('transient failure');
    if (job.payload.slow) {
      await new Promise((_, reject) =>
        job.signal.addEventListener('abort', () => {
          mark(`${job.payload.image}:aborted`);
          reject(job.signal.reason);
        }),
      );
    }
    await job.ack({ thumbnail: job.payload.image.replace('.png', '.thumb.png') });
  } catch (error) {
    if (error instanceof JobCancelledError) return; // cancel wins: nothing to settle
    await job.nack(error);
  }
}

async function waitUntil(predicate: () => Promise<boolean>): Promise<void> {
  while (!(await predicate())) await new Promise((resolve) => setTimeout(resolve, 10));
}
