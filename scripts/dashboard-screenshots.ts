/**
 * The README's dashboard screenshots, taken of a busy system as an operator would see it:
 * `npx tsx scripts/dashboard-screenshots.ts` starts PostgreSQL (embedded, or DATABASE_URL), runs
 * workers on three queues while a producer sends a steady stream (some jobs fail and retry, a few
 * go dead, one reports progress), adds a schedule and a flow, serves the dashboard, and saves
 * docs/screenshots/*.png from Chromium (/usr/bin/chromium, or PGPULSE_CHROMIUM).
 */
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { serveDashboard } from '../src/dashboard/index.js';
import { startDevDatabase } from '../src/dev/database.js';
import { NonRetryableError, Queue } from '../src/index.js';

const OUT = new URL('../docs/screenshots/', import.meta.url);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const server = await startDevDatabase({ envVars: ['DATABASE_URL'] });
const queue = new Queue({ connectionString: server.url });
await queue.migrate();
await queue.queues.upsert('emails', {
  concurrencyLimit: 8,
  rateLimit: { count: 200, periodMs: 1_000 },
});
await queue.queues.upsert('reports', { groups: { concurrencyLimit: 2 } });
await queue.queues.upsert('webhooks', { maxAttempts: 3 });
await queue.schedules.set('nightly-digest', {
  queue: 'reports',
  cron: '0 30 2 * * *',
  timezone: 'Europe/Berlin',
});
await queue.schedules.set('heartbeat', { queue: 'webhooks', every: '1m' });

const workers = [
  queue.work<{ to: string }>(
    'emails',
    async (_job) => {
      await sleep(5 + Math.random() * 20);
      if (Math.random() < 0.04) throw new Error('SMTP 451: try again later');
      return { sentAt: new Date().toISOString() };
    },
    { concurrency: 8 },
  ),
  queue.work<{ month: string }>(
    'reports',
    async (job) => {
      for (let p = 20; p <= 100; p += 20) {
        await job.progress({ percent: p });
        await sleep(150);
      }
      return { rows: 1_204 };
    },
    { concurrency: 4 },
  ),
  queue.work<{ url: string }>(
    'webhooks',
    async (job) => {
      await sleep(10);
      if (job.payload.url.includes('gone'))
        throw new NonRetryableError('410 Gone: endpoint removed');
      if (Math.random() < 0.1) throw new Error('ECONNRESET');
    },
    { concurrency: 4 },
  ),
];

let sending = true;
const producer = (async () => {
  let n = 0;
  while (sending) {
    n += 1;
    await queue.sendBatch(
      'emails',
      Array.from({ length: 5 }, (_, i) => ({
        payload: { to: `user${n * 5 + i}@example.com` },
      })),
    );
    if (n % 4 === 0) {
      await queue.send('webhooks', {
        url: n % 20 === 0 ? 'https://old.example/gone' : 'https://hooks.example/in',
      });
    }
    if (n % 10 === 0) {
      await queue.send('reports', { month: '2026-11' }, { tenant: `customer-${n % 3}` });
    }
    await sleep(100);
  }
})();
await queue.send('emails', { to: 'later@example.com' }, { delayMs: 3_600_000 });

const dashboard = await serveDashboard(queue, { port: 0 });
await sleep(45_000); // let the charts fill and jobs pile up in every state
const browser = await chromium.launch({
  executablePath: process.env.PGPULSE_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless=new'],
});
try {
  mkdirSync(OUT, { recursive: true });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const shoot = async (path: string, name: string) => {
    await page.goto(new URL(path.replace(/^\//, ''), dashboard.url).toString());
    await page.waitForSelector('main h1');
    await sleep(2_500);
    await page.screenshot({ path: new URL(`${name}.png`, OUT).pathname });
  };
  const [dead] = (await queue.listJobs('webhooks', { states: ['dead'], limit: 1 })) ?? [];
  const [retried] = (await queue.listJobs('emails', { states: ['completed'], limit: 200 })).filter(
    (job) => job.errors.length > 0,
  );
  await shoot('/', 'overview');
  await shoot('/queues/emails', 'queue');
  await shoot(`/jobs/${(dead ?? retried)?.id}`, 'job');
  await shoot('/dead', 'dead');
  await shoot('/schedules', 'schedules');
  // A flow sent just before its picture, so that its jobs are in several states.
  const flow = await queue.flow([
    { ref: 'extract', queue: 'reports', payload: { step: 'extract' }, tenant: 'etl' },
    ...['orders', 'refunds', 'invoices'].map((table) => ({
      ref: table,
      queue: 'reports',
      payload: { step: 'transform', table },
      tenant: 'etl',
      dependsOn: ['extract'],
    })),
    {
      ref: 'load',
      queue: 'reports',
      payload: { step: 'load' },
      tenant: 'etl',
      dependsOn: ['orders', 'refunds', 'invoices'],
    },
    {
      ref: 'notify',
      queue: 'webhooks',
      payload: { url: 'https://hooks.example/done' },
      dependsOn: ['load'],
    },
  ]);
  await sleep(1_200);
  await shoot(`/flows/${flow.flowId}`, 'flow');
  await shoot('/workers', 'workers');
  console.log(`screenshots in ${OUT.pathname}`);
} finally {
  sending = false;
  await producer;
  await browser.close();
  await dashboard.close();
  await Promise.all(workers.map((worker) => worker.stop()));
  await queue.close();
  await server.stop();
}
