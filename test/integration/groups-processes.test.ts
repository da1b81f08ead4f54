import { beforeAll, describe, expect, test } from 'vitest';
import { useTestQueue } from '../helpers/database.js';
import { useWorkerProcesses } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const { db, sql, queue } = await useTestQueue({ listen: false });
const spawn = useWorkerProcesses(db.url, sql);

beforeAll(async () => {
  // The DB's own witness of "never more than k running per group": whenever a job starts, how
  // many jobs of its group run, counted in a fresh snapshot (committed claims and this one's).
  await sql.query(`
    CREATE TABLE seen (queue text, tenant text, running bigint);
    CREATE FUNCTION witness() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO seen SELECT NEW.queue, NEW.tenant, count(*) FROM pgpulse.jobs
      WHERE queue = NEW.queue AND tenant = NEW.tenant AND state = 'running';
      RETURN NULL;
    END $$;
    CREATE TRIGGER witness AFTER UPDATE OF state ON pgpulse.jobs FOR EACH ROW
      WHEN (NEW.state = 'running' AND OLD.state <> 'running') EXECUTE FUNCTION witness();`);
});

const completed = async (name: string) => {
  const { rows } = await sql.query(
    "SELECT count(*)::int AS n FROM pgpulse.all_jobs WHERE queue = $1 AND state = 'completed'",
    [name],
  );
  return rows[0].n as number;
};

describe('group caps hold across worker processes', () => {
  test('3 processes of 8 slots: never more than k running per group, and k is reached', async () => {
    await queue.queues.create('gcap', { groups: { concurrencyLimit: 2 } });
    await queue.groups.set('gcap', 'big', { concurrencyLimit: 4 });
    const groups = ['a', 'b', 'c', 'big'];
    const jobs = groups.flatMap((tenant) =>
      Array.from({ length: 24 }, (_, i) => ({ payload: { i }, tenant })),
    );
    const workers = await spawn(
      { TEST_QUEUE: 'gcap', TEST_JOB_MS: '10', TEST_CONCURRENCY: '8' },
      3,
    );
    await queue.sendBatch('gcap', jobs);
    await waitFor(async () => (await completed('gcap')) === jobs.length, 'all done', 90_000);
    const { rows } = await sql.query(
      "SELECT tenant, max(running)::int AS most FROM seen WHERE queue = 'gcap' GROUP BY tenant ORDER BY tenant",
    );
    const most = Object.fromEntries(rows.map((row) => [row.tenant, row.most]));
    expect(most).toEqual({ a: 2, b: 2, big: 4, c: 2 });
    const pids = await sql.query(
      'SELECT count(DISTINCT pid)::int AS n FROM handled WHERE attempt > 0',
    );
    expect(pids.rows[0].n).toBeGreaterThan(1);
    await Promise.all(workers.map((worker) => worker.stop()));
  });
});

describe('strict FIFO survives a SIGKILLed worker', () => {
  test('the orphan keeps its place at the head of its group', async () => {
    await queue.queues.create('gfifo', { groups: { fifo: true } });
    const env = { TEST_QUEUE: 'gfifo', TEST_LEASE_MS: '1000', TEST_CONCURRENCY: '4' };
    const [victim] = await spawn(env);
    const sent = await queue.sendBatch(
      'gfifo',
      Array.from({ length: 5 }, (_, i) => ({ payload: { hold: i === 0, i }, tenant: 'g' })),
    );
    const ids = sent.map((r) => r.id);
    await victim?.waitFor((m) => m.type === 'started' && m.id === ids[0]);
    const others = await spawn(env, 2);
    await victim?.kill();
    await waitFor(async () => (await completed('gfifo')) === ids.length, 'fifo drained', 60_000);
    // The order handlers started in (database clock), retries included: the orphan first again.
    const { rows } = await sql.query(
      `SELECT h.job_id, h.attempt FROM handled AS h JOIN pgpulse.all_jobs AS j ON j.id = h.job_id
       WHERE j.queue = 'gfifo' AND h.attempt > 0 ORDER BY h.started_at`,
    );
    expect(rows.map((row) => row.job_id)).toEqual([ids[0], ...ids]);
    const seen = await sql.query(
      "SELECT max(running)::int AS most FROM seen WHERE queue = 'gfifo'",
    );
    expect(seen.rows[0].most).toBe(1);
    await Promise.all(others.map((worker) => worker.stop()));
  });
});

describe('the worker registry', () => {
  test('lists processes as they start, drops one that stops, expires one that was killed', async () => {
    const env = { TEST_QUEUE: 'registry', TEST_LEASE_MS: '1000' };
    const [kept, stopped, killed] = await spawn(env, 3);
    const pidsOf = async () =>
      new Set(
        (await queue.workers.list()).filter((w) => w.queues.includes('registry')).map((w) => w.pid),
      );
    const all = [kept, stopped, killed].map((w) => w?.child.pid);
    await waitFor(async () => (await pidsOf()).size === 3, 'three registered');
    const [entry] = (await queue.workers.list()).filter(
      (w) => w.pid === kept?.child.pid && w.queues.includes('registry'),
    );
    expect(entry).toMatchObject({ host: expect.any(String), concurrency: 8, alive: true });
    expect(entry?.workerId).toBe(`child-${kept?.child.pid}`);
    expect(all.every((pid) => pid !== undefined)).toBe(true);

    await stopped?.stop();
    expect((await pidsOf()).has(stopped?.child.pid as number)).toBe(false);
    await killed?.kill();
    // Its entry outlives it until three heartbeats go missing.
    await waitFor(async () => !(await pidsOf()).has(killed?.child.pid as number), 'expired');
    expect((await pidsOf()).has(kept?.child.pid as number)).toBe(true);
    await kept?.stop();
  });
});
