/**
 * Flows side by side with BullMQ's (its PostgreSQL backend: FlowProducer + createPostgresBackend).
 * BullMQ's flows are trees whose parent runs after its children, so both run the same tree
 * bottom-up: a root after 100 jobs, each after 99 leaves (10,001 jobs), drained by one worker of
 * concurrency 16; and a pair (one job after one other) 100 times at idle, timed from the first
 * handler's return to the second's start on this process's clock, for both the same way.
 * `npx tsx bench/flows-bullmq.ts [-- --middle 100 --leaves 99 --pairs 100]`; wrap it in `flock /work/heavy.lock` on a shared machine.
 */
import { randomBytes } from 'node:crypto';
import { createPostgresBackend, type FlowJob, FlowProducer, Worker } from 'bullmq';
import pg from 'pg';
import { dropScratchDatabase, startDevDatabase } from '../src/dev/database.js';
import { summarize } from '../src/dev/percentiles.js';
import { type FlowNode, Queue } from '../src/index.js';

const arg = (flag: string, fallback: number) =>
  Number(process.argv[process.argv.indexOf(flag) + 1]) || fallback;
const MIDDLE = arg('--middle', 100);
const LEAVES = arg('--leaves', 99);
const PAIRS = arg('--pairs', 100);

interface Timing {
  returned: Map<string, number>;
  started: Map<string, number>;
}

function bullTree(queueName: string): FlowJob {
  return {
    name: 'root',
    queueName,
    data: { key: 'root' },
    children: Array.from({ length: MIDDLE }, (_, m) => ({
      name: 'mid',
      queueName,
      data: { key: `m${m}` },
      children: Array.from({ length: LEAVES }, (_, l) => ({
        name: 'leaf',
        queueName,
        data: { key: `l${m}.${l}` },
      })),
    })),
  };
}

function pgpulseTree(queueName: string): FlowNode[] {
  const nodes: FlowNode[] = [];
  for (let m = 0; m < MIDDLE; m++) {
    const leaves = Array.from({ length: LEAVES }, (_, l) => `l${m}.${l}`);
    for (const ref of leaves) nodes.push({ ref, queue: queueName, payload: { key: ref } });
    nodes.push({ ref: `m${m}`, queue: queueName, payload: { key: `m${m}` }, dependsOn: leaves });
  }
  const mids = Array.from({ length: MIDDLE }, (_, m) => `m${m}`);
  nodes.push({ ref: 'root', queue: queueName, payload: { key: 'root' }, dependsOn: mids });
  return nodes;
}

/** A handler recording when each job (by its payload's key) started and returned. */
function recorder(timing: Timing, done: (key: string) => void) {
  return async (key: string) => {
    timing.started.set(key, performance.now());
    timing.returned.set(key, performance.now());
    done(key);
  };
}

async function main(): Promise<void> {
  const server = await startDevDatabase({ envVars: ['PGPULSE_BENCH_DATABASE_URL'] });
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  const name = `pgpulse_bench_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  const connection = { connectionString: url.toString(), migrate: true };
  const queue = new Queue({ connectionString: url.toString(), poolSize: 20 });
  const rows: Record<string, string> = {};
  const total = 1 + MIDDLE + MIDDLE * LEAVES;
  try {
    await queue.migrate();
    for (const who of ['pgpulse', 'BullMQ'] as const) {
      // The tree.
      const timing: Timing = { returned: new Map(), started: new Map() };
      let finish: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const record = recorder(timing, (key) => {
        if (key === 'root') finish();
      });
      let stop: () => Promise<void>;
      let t: number;
      if (who === 'pgpulse') {
        await queue.flow(pgpulseTree('tree'));
        t = performance.now();
        const worker = queue.work<{ key: string }>('tree', (job) => record(job.payload.key), {
          concurrency: 16,
        });
        stop = () => worker.stop();
      } else {
        const producer = new FlowProducer({ connection }, createPostgresBackend);
        await producer.add(bullTree('btree'));
        await producer.close();
        t = performance.now();
        const worker = new Worker(
          'btree',
          async (job) => record((job.data as { key: string }).key),
          { connection, concurrency: 16 },
          createPostgresBackend,
        );
        stop = () => worker.close();
      }
      await finished;
      const ms = performance.now() - t;
      await stop();
      const lastMid = Math.max(
        ...[...timing.returned].filter(([k]) => k.startsWith('m')).map(([, at]) => at),
      );
      rows[`${who}: tree of ${total} drained (16)`] = `${Math.round((total / ms) * 1000)} jobs/s`;
      rows[`${who}: tree, last child returned → root started`] = `${(
        (timing.started.get('root') ?? Number.NaN) - lastMid
      ).toFixed(2)} ms`;

      // Pairs at idle.
      const lags: number[] = [];
      const pairTiming: Timing = { returned: new Map(), started: new Map() };
      let waiter: ((key: string) => void) | undefined;
      const pairRecord = recorder(pairTiming, (key) => waiter?.(key));
      let stopPairs: () => Promise<void>;
      let sendPair: (i: number) => Promise<void>;
      if (who === 'pgpulse') {
        const worker = queue.work<{ key: string }>('pairs', (job) => pairRecord(job.payload.key));
        stopPairs = () => worker.stop();
        sendPair = async (i) => {
          await queue.flow([
            { ref: 'a', queue: 'pairs', payload: { key: `a${i}` } },
            { ref: 'b', queue: 'pairs', payload: { key: `b${i}` }, dependsOn: ['a'] },
          ]);
        };
      } else {
        const worker = new Worker(
          'bpairs',
          async (job) => pairRecord((job.data as { key: string }).key),
          { connection, concurrency: 16 },
          createPostgresBackend,
        );
        await worker.waitUntilReady();
        const producer = new FlowProducer({ connection }, createPostgresBackend);
        stopPairs = async () => {
          await producer.close();
          await worker.close();
        };
        sendPair = async (i) => {
          await producer.add({
            name: 'b',
            queueName: 'bpairs',
            data: { key: `b${i}` },
            children: [{ name: 'a', queueName: 'bpairs', data: { key: `a${i}` } }],
          });
        };
      }
      for (let i = 0; i < PAIRS; i++) {
        const second = new Promise<void>((resolve) => {
          waiter = (key) => {
            if (key === `b${i}`) resolve();
          };
        });
        await sendPair(i);
        await second;
        lags.push(
          (pairTiming.started.get(`b${i}`) ?? Number.NaN) -
            (pairTiming.returned.get(`a${i}`) ?? Number.NaN),
        );
      }
      await stopPairs();
      const s = summarize(lags);
      rows[`${who}: pair, first returned → second started, p50 / p99`] =
        `${s.p50.toFixed(2)} / ${s.p99.toFixed(2)} ms`;
    }
    console.table(rows);
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
