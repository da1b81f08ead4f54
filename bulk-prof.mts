import pg from 'pg';
import { Queue } from './src/index.ts';

const admin = process.argv[2]!;
const name = `prof_${Date.now()}`;
const c = new pg.Client({ connectionString: admin });
await c.connect();
await c.query(`CREATE DATABASE ${name}`);
await c.end();
const url = new URL(admin);
url.pathname = `/${name}`;
const queue = new Queue({ connectionString: url.toString() });
await queue.migrate();
const jobs = (n: number, from: number) =>
  Array.from({ length: n }, (_, i) => ({ payload: { seq: from + i, sentAt: performance.now() } }));
for (let round = 0; round < 6; round++) {
  const batch = jobs(10_000, round * 10_000);
  const t = performance.now();
  await queue.sendBatch('bench', batch);
  const ms = performance.now() - t;
  console.log(`round ${round}: ${ms.toFixed(1)} ms = ${Math.round((10_000 / ms) * 1000)} jobs/s`);
}
await queue.close();
