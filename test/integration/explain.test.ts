import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { type ClaimedJob, JobNotFoundError, ValidationError } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { useTestQueue } from '../helpers/database.js';

const { db, sql, queue } = await useTestQueue({ listen: false });

/** A live worker of `name` in the registry, as a consumer in another process would write it. */
const liveWorker = (name: string) =>
  sql.query(
    `INSERT INTO pgpulse.workers (id, worker_id, host, pid, queues, concurrency, version, expires_at)
     VALUES ($1, 'w', 'h', 1, ARRAY[$2], 1, 'test', now() + interval '1 hour')`,
    [randomUUID(), name],
  );

const why = async (id: string) => (await queue.explain(id)).reason;

describe('explain names the reason a job is not running', () => {
  test('not due until its run time', async () => {
    const { id } = await queue.send('later', {}, { delayMs: 3_600_000 });
    const reason = await why(id);
    expect(reason.code).toBe('delayed');
    expect(reason.until?.getTime()).toBeGreaterThan(Date.now());
  });

  test('queue paused', async () => {
    await liveWorker('paused');
    const { id } = await queue.send('paused', {});
    await queue.queues.pause('paused');
    expect(await why(id)).toMatchObject({ code: 'queue-paused' });
  });

  test('the queue cap is full, with the running job ids', async () => {
    await liveWorker('qcap');
    await queue.queues.create('qcap', { concurrencyLimit: 1 });
    await queue.sendBatch('qcap', [{ payload: 1 }, { payload: 2 }]);
    const [running] = await queue.claim('qcap');
    const waiting = (await queue.listJobs('qcap', { states: ['pending'] }))[0];
    expect(await why(waiting?.id as string)).toMatchObject({
      code: 'queue-concurrency',
      limit: 1,
      running: 1,
      holders: [running?.id],
    });
  });

  test('the queue rate limit bucket is empty until a time', async () => {
    await queue.queues.create('qrate', { rateLimit: { count: 1, periodMs: 3_600_000 } });
    await queue.sendBatch('qrate', [{ payload: 1 }, { payload: 2 }]);
    const [claimed] = await queue.claim('qrate');
    await queue.complete(claimed as ClaimedJob);
    const [left] = await queue.listJobs('qrate', { states: ['pending'] });
    const reason = await why(left?.id as string);
    expect(reason.code).toBe('queue-rate-limit');
    expect(reason.until?.getTime()).toBeGreaterThan(Date.now() + 3_000_000);
  });

  test('the group cap is full, with who holds its slots', async () => {
    await liveWorker('gcap');
    await queue.queues.create('gcap', { groups: { concurrencyLimit: 1 } });
    await queue.sendBatch('gcap', [
      { payload: 1, tenant: 'acme' },
      { payload: 2, tenant: 'acme' },
    ]);
    const [running] = await queue.claim('gcap', { batchSize: 5 });
    const [waiting] = await queue.listJobs('gcap', { states: ['pending'] });
    const found = await queue.explain(waiting?.id as string);
    expect(found).toMatchObject({ group: 'acme', claimable: false });
    expect(found.reason).toMatchObject({
      code: 'group-concurrency',
      limit: 1,
      running: 1,
      holders: [running?.id],
    });
  });

  test('the group rate limit bucket is empty until a time', async () => {
    await queue.queues.create('grate', {
      groups: { rateLimit: { count: 1, periodMs: 3_600_000 } },
    });
    await queue.sendBatch('grate', [
      { payload: 1, tenant: 'acme' },
      { payload: 2, tenant: 'acme' },
    ]);
    const [claimed] = await queue.claim('grate', { batchSize: 5 });
    await queue.complete(claimed as ClaimedJob);
    const [left] = await queue.listJobs('grate', { states: ['pending'] });
    const reason = await why(left?.id as string);
    expect(reason.code).toBe('group-rate-limit');
    expect(reason.until?.getTime()).toBeGreaterThan(Date.now() + 3_000_000);
  });

  test('the FIFO predecessor has not finished', async () => {
    await liveWorker('gfifo');
    await queue.queues.create('gfifo', { groups: { fifo: true } });
    const [first, second] = await queue.sendBatch('gfifo', [
      { payload: 1, tenant: 'acme', delayMs: 3_600_000 },
      { payload: 2, tenant: 'acme' },
    ]);
    expect(await why(second?.id as string)).toMatchObject({
      code: 'group-fifo',
      holders: [first?.id],
    });
  });

  test('leased by a worker until a time, and a lease that expired', async () => {
    const { id } = await queue.send('leased', {});
    const [job] = await queue.claim('leased', { workerId: 'w-7', leaseMs: 60_000 });
    expect(await why(id)).toMatchObject({
      code: 'running',
      workerId: 'w-7',
      until: job?.leaseExpiresAt,
    });
    await sql.query(
      "UPDATE pgpulse.jobs SET lease_expires_at = now() - interval '1 second' WHERE id = $1",
      [id],
    );
    expect(await why(id)).toMatchObject({ code: 'lease-expired', workerId: 'w-7' });
  });

  test('no live worker consumes the queue; then claimable, waiting in line, or its turn', async () => {
    const [a, b] = await queue.sendBatch('idle', [{ payload: 1 }, { payload: 2 }]);
    expect(await queue.explain(a?.id as string)).toMatchObject({
      claimable: true,
      reason: { code: 'no-worker' },
    });
    await liveWorker('idle');
    expect(await why(a?.id as string)).toMatchObject({ code: 'claimable' });
    expect(await why(b?.id as string)).toMatchObject({ code: 'waiting-in-line', ahead: 1 });

    await liveWorker('turns');
    await queue.queues.create('turns', { fairTenants: true });
    const [x] = await queue.sendBatch('turns', [
      { payload: 1, tenant: 'x' },
      { payload: 2, tenant: 'y' },
    ]);
    expect(await why(x?.id as string)).toMatchObject({ code: 'fair-turn' });
  });

  test("a flow's child waits on its parents", async () => {
    const { ids } = await queue.flow([
      { ref: 'a', queue: 'flowing', payload: 1 },
      { ref: 'b', queue: 'flowing', payload: 2, dependsOn: ['a'] },
    ]);
    const reason = await why(ids.b as string);
    expect(reason).toMatchObject({ code: 'waiting-on-parents', holders: [ids.a] });
  });

  test('finished and dead jobs', async () => {
    const { id } = await queue.send('ends', {}, { maxAttempts: 1 });
    const [job] = await queue.claim('ends');
    await queue.fail(job as ClaimedJob, new Error('no'));
    expect(await why(id)).toMatchObject({ code: 'dead' });
    await queue.retryDead(id);
    const [again] = await queue.claim('ends');
    await queue.complete(again as ClaimedJob);
    expect(await why(id)).toMatchObject({ code: 'finished' });
  });

  test('an unknown job, and a bad id', async () => {
    await expect(queue.explain(randomUUID())).rejects.toBeInstanceOf(JobNotFoundError);
    await expect(queue.explain('nope')).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('pgpulse job why', () => {
  test('prints the reason, and the holders', async () => {
    await queue.queues.create('cli-why', { groups: { concurrencyLimit: 1 } });
    await queue.sendBatch('cli-why', [
      { payload: 1, tenant: 't' },
      { payload: 2, tenant: 't' },
    ]);
    const [running] = await queue.claim('cli-why', { batchSize: 5 });
    const [waiting] = await queue.listJobs('cli-why', { states: ['pending'] });
    const out = await runCli(['job', 'why', waiting?.id as string], {
      PGPULSE_DATABASE_URL: db.url,
    });
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('group-concurrency');
    expect(out.stdout).toContain(running?.id);
    const bad = await runCli(['job', 'why', 'nope'], { PGPULSE_DATABASE_URL: db.url });
    expect(bad.code).toBe(2); // bad input (a malformed id)
  });
});

describe('pgpulse workers', () => {
  test('lists the live entries of the registry', async () => {
    await liveWorker('cli-listed');
    const out = await runCli(['workers', '--json'], { PGPULSE_DATABASE_URL: db.url });
    expect(out.code).toBe(0);
    const listed = JSON.parse(out.stdout) as { queues: string[]; alive: boolean }[];
    expect(listed.some((w) => w.queues.includes('cli-listed') && w.alive)).toBe(true);
    const table = await runCli(['workers'], { PGPULSE_DATABASE_URL: db.url });
    expect(table.stdout).toContain('cli-listed');
  });
});
