/**
 * A worker process of the sustained and hosts trials: one `Queue` (its own pool, default size
 * unless BENCH_POOL_SIZE says otherwise, and its own LISTEN connection), `queue.work` on one
 * queue with a no-op handler. Each job's payload carries `sentAt` (epoch ms, sub-ms precision):
 * the handler notes how long after its send it started. Talks to the parent over IPC: `loaded`,
 * then after `start` consumes and says `ready` once a job sent now reaches it; every second a
 * `report` (handlers run since the last one, their start latencies, first and last start); at
 * `stop`, stops gracefully, sends a last report and exits. Library warnings go to stderr.
 */
import { inspect } from 'node:util';
import { Queue } from '../../src/index.js';

const url = process.env.BENCH_DATABASE_URL ?? '';
const queueName = process.env.BENCH_QUEUE ?? 'bench';
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const poolSize = process.env.BENCH_POOL_SIZE ? Number(process.env.BENCH_POOL_SIZE) : undefined;

const REPORT_EVERY_MS = 1000;

const send = (message: unknown) => process.send?.(message);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function log(level: string, message: string, details?: Record<string, unknown>): void {
  const extra = details === undefined ? '' : ` ${inspect(details, { breakLength: Infinity })}`;
  process.stderr.write(`${new Date().toISOString()} ${level}: ${message}${extra}\n`);
}

// The parent is gone (it crashed or was killed): nobody will stop this process otherwise.
process.once('disconnect', () => process.exit(1));
// An interrupt reaches the whole process group: the parent decides when this process ends.
process.on('SIGINT', () => undefined);

const messages: { type?: string }[] = [];
const waiters: { type: string; resolve: () => void }[] = [];
process.on('message', (message: { type?: string }) => {
  messages.push(message);
  for (const waiter of waiters.filter((w) => w.type === message.type)) waiter.resolve();
});
const received = (type: string) =>
  new Promise<void>((resolve) => {
    if (messages.some((m) => m.type === type)) resolve();
    else waiters.push({ type, resolve });
  });

send({ type: 'loaded' });
await received('start');

let handled = 0;
let latencies: number[] = [];
let firstStartAt: number | null = null;
let lastStartAt: number | null = null;

const queue = new Queue({
  connectionString: url,
  ...(poolSize === undefined ? {} : { poolSize }),
  workerId: `bench-${process.pid}`,
  logger: { warn: (m, d) => log('warn', m, d), error: (m, d) => log('error', m, d) },
});
const worker = queue.work<{ sentAt?: number }>(
  queueName,
  async (job) => {
    const at = now();
    firstStartAt ??= at;
    lastStartAt = at;
    handled++;
    const sentAt = job.payload?.sentAt;
    if (typeof sentAt === 'number') latencies.push(Math.round((at - sentAt) * 100) / 100);
  },
  { concurrency },
);

function report(): void {
  send({ type: 'report', at: Date.now(), handled, latencies, firstStartAt, lastStartAt });
  handled = 0;
  latencies = [];
}
const reporting = setInterval(report, REPORT_EVERY_MS);

// Ready once a job sent now reaches this process (its LISTEN works); the probe then stops, so
// that its claims do not mix with the trial's.
let ready = false;
const probeName = `ready-${process.pid}`;
const probe = queue.work(
  probeName,
  async () => {
    ready = true;
  },
  { pollIntervalMs: 3_600_000, sweeper: false },
);
while (!ready) {
  await queue.send(probeName, {});
  await sleep(50);
}
await probe.stop();
send({ type: 'ready', pid: process.pid });

await received('stop');
await worker.stop({ graceMs: 5000 });
await queue.close();
clearInterval(reporting);
report();
process.send?.({ type: 'stopped' }, () => process.exit(0));
