/**
 * Flows (issue 16): jobs/s through a flow of 10,000 jobs against 10,000 independent jobs, on the
 * same streaming worker (concurrency 16), the two drains alternating for `--rounds` rounds; and
 * how soon a child starts after its parent's handler returned, against how soon a plain job
 * starts after it was sent (both timed in this process).
 * `npm run bench:flows [-- --jobs 10000 --samples 200 --rounds 3]`. Wrap it in
 * `flock /work/heavy.lock` on a shared machine.
 */
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import pg from 'pg';
import { dropScratchDatabase, startDevDatabase } from '../src/dev/database.js';
import { summarize } from '../src/dev/percentiles.js';
import { type FlowNode, Queue } from '../src/index.js';

const arg = (name: string, fallback: number) =>
  Number(process.argv[process.argv.indexOf(name) + 1]) || fallback;
const jobs = arg('--jobs', 10_000);
const samples = arg('--samples', 200);
const rounds = arg('--rounds', 3);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;
const WIDTH = 1000;

/** Runs a worker on `queue` until `count` jobs have been handled; returns jobs/s. */
async function drain(queue: Queue, name: string, count: number, send: () => Promise<unknown>) {
  let handled = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const worker = queue.work(
    name,
    () => {
      handled++;
      if (handled === count) done();
    },
    { concurrency: 16 },
  );
  const started = performance.now();
  await send();
  await finished;
  const ms = performance.now() - started;
  await worker.stop();
  return (count / ms) * 1000;
}

/** A layered DAG: layers of WIDTH jobs, each after 2 random jobs of the layer before. */
function layeredFlow(count: number): FlowNode[] {
  const nodes: FlowNode[] = [];
  for (let i = 0; i < count; i++) {
    const layer = Math.floor(i / WIDTH);
    const parents =
      layer === 0
        ? []
        : [
            ...new Set([
              `n${(layer - 1) * WIDTH + Math.floor(Math.random() * WIDTH)}`,
              `n${(layer - 1) * WIDTH + Math.floor(Math.random() * WIDTH)}`,
            ]),
          ];
    nodes.push({ ref: `n${i}`, queue: 'flow', payload: { i }, dependsOn: parents });
  }
  return nodes;
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
  const sql = new pg.Pool({ connectionString: url.toString(), max: 2 });
  try {
    await queue.migrate();
    console.log(
      `${cpus().length} × ${cpus()[0]?.model}; Node ${process.version}; ${jobs} jobs; ${server.description}\n`,
    );
    const rows: Record<string, string> = {};
    const perSecond = (n: number) => `${Math.round(n).toLocaleString('en')} jobs/s`;

    // Throughput: the jobs are sent first, then drained (the send is timed on its own). The two
    // drains run in turn, `--rounds` times, so that a noisy machine's drift falls on both.
    const plainRates: number[] = [];
    const flowRates: number[] = [];
    const ratios: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      let t = performance.now();
      await queue.sendBatch(
        'plain',
        Array.from({ length: jobs }, (_, i) => ({ payload: { i } })),
      );
      rows['independent: sendBatch'] = perSecond((jobs / (performance.now() - t)) * 1000);
      const plainRate = await drain(queue, 'plain', jobs, async () => undefined);
      const nodes = layeredFlow(jobs);
      t = performance.now();
      await queue.flow(nodes);
      rows[`flow (${jobs / WIDTH} layers of ${WIDTH}, 2 parents each): queue.flow()`] = perSecond(
        (jobs / (performance.now() - t)) * 1000,
      );
      const flowRate = await drain(queue, 'flow', jobs, async () => undefined);
      plainRates.push(plainRate);
      flowRates.push(flowRate);
      ratios.push(flowRate / plainRate);
    }
    rows['independent: drained by one worker (16), median'] = perSecond(median(plainRates));
    rows['flow: drained by one worker (16), median'] = perSecond(median(flowRates));
    rows['flow / independent, per round'] =
      `${ratios.map((r) => `${Math.round(r * 100)}%`).join(' ')} (median ${Math.round(median(ratios) * 100)}%)`;

    // Latency, timed in this process, one job at a time at idle: a plain job's handler start
    // after its send() was called, against a child's handler start after its parent's handler
    // returned (the parent's completion, the child's release and its claim, or the hand-off of
    // migration 0020, all in between).
    const startedAt = new Map<string, number>();
    const returnedAt = new Map<string, number>();
    const worker = queue.work(
      'lat',
      (job) => {
        startedAt.set(job.id, performance.now());
        returnedAt.set(job.id, performance.now());
      },
      { concurrency: 4 },
    );
    const plainLags: number[] = [];
    for (let i = 0; i < samples; i++) {
      const sent = performance.now();
      const { id } = await queue.send('lat', null);
      await waitCompleted(sql, [id]);
      plainLags.push((startedAt.get(id) as number) - sent);
    }
    const childLags: number[] = [];
    for (let i = 0; i < samples; i++) {
      const { ids } = await queue.flow([
        { ref: 'p', queue: 'lat', payload: null },
        { ref: 'c', queue: 'lat', payload: null, dependsOn: ['p'] },
      ]);
      await waitCompleted(sql, [ids.c as string]);
      childLags.push(
        (startedAt.get(ids.c as string) as number) - (returnedAt.get(ids.p as string) as number),
      );
    }
    await worker.stop();
    const plain = percentiles(plainLags);
    const child = percentiles(childLags);
    rows['plain job: send() → handler start, p50 / p99'] = `${plain.p50} / ${plain.p99} ms`;
    rows['child: parent handler returned → child handler start, p50 / p99'] =
      `${child.p50} / ${child.p99} ms`;

    // Fan-in: the child of 10,000 parents, after the last.
    const parents = Array.from(
      { length: jobs },
      (_, i): FlowNode => ({ ref: `p${i}`, queue: 'fan', payload: i }),
    );
    const { ids } = await queue.flow([
      ...parents,
      { ref: 'c', queue: 'fan', payload: null, dependsOn: parents.map((p) => p.ref) },
    ]);
    const fanRate = await drain(queue, 'fan', jobs + 1, async () => undefined);
    rows[`fan-in of ${jobs}: drained by one worker (16)`] = perSecond(fanRate);
    const fan = await lags(
      sql,
      `SELECT extract(epoch FROM c.started_at - (SELECT max(p.finished_at) FROM pgpulse.jobs AS p
         WHERE p.flow_id = c.flow_id AND p.id <> c.id)) * 1000 AS ms
       FROM pgpulse.jobs AS c WHERE c.id = ANY ($1)`,
      [ids.c as string],
    );
    rows[`fan-in of ${jobs}: last parent completed → child start`] = `${fan.p50} ms`;
    console.table(rows);
  } finally {
    await sql.end();
    await queue.close();
    await dropScratchDatabase(admin, name);
    await admin.end();
    await server.stop();
  }
}

async function waitCompleted(sql: pg.Pool, ids: string[]): Promise<void> {
  for (;;) {
    const { rows } = await sql.query(
      `SELECT count(*)::int AS n FROM pgpulse.all_jobs WHERE id = ANY ($1) AND state = 'completed'`,
      [ids],
    );
    if (rows[0].n === ids.length) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function lags(sql: pg.Pool, text: string, ids: string[]) {
  const { rows } = await sql.query(text, [ids]);
  return percentiles(rows.map((r: { ms: string }) => Number(r.ms)));
}

function percentiles(values: number[]) {
  const s = summarize(values);
  return { p50: s.p50.toFixed(2), p99: s.p99.toFixed(2) };
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
