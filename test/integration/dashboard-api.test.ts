import { afterAll, describe, expect, test, vi } from 'vitest';
import type { JobDetail, JobPage, Overview, SessionInfo } from '../../src/dashboard/api-types.js';
import { createDashboard } from '../../src/dashboard/index.js';
import type { ClaimedJob } from '../../src/index.js';
import { useDashboardApi } from '../helpers/dashboard.js';
import { useTestQueue } from '../helpers/database.js';

const { sql, queue } = await useTestQueue({ listen: false });
const { dashboard, session, api } = await useDashboardApi(queue, { basePath: '/ops' });
const readOnly = createDashboard(queue, { basePath: '/ro', readOnly: true });
afterAll(() => readOnly.close());

const NO_JOB = '00000000-0000-4000-8000-000000000000';
const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

const jobCount = async () =>
  Number(
    (
      await sql.query(
        'SELECT (SELECT count(*) FROM pgpulse.jobs) + (SELECT count(*) FROM pgpulse.jobs_done) AS n',
      )
    ).rows[0].n,
  );

describe('the dashboard API', () => {
  test('the page is served with a strict Content-Security-Policy and no secret', async () => {
    const response = await dashboard.fetch(new Request('http://x/ops/queues/emails'));
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await response.text();
    expect(html).toContain('<meta name="pgpulse-base" content="/ops">');
    expect(html).not.toMatch(/postgres(ql)?:\/\//);
    expect(session).toMatchObject({ readOnly: false });
    expect(JSON.stringify(session)).not.toMatch(/postgres(ql)?:\/\//);
  });

  test('the overview counts every queue per state', async () => {
    await queue.sendBatch('ov', [
      { payload: 1 },
      { payload: 2 },
      { payload: 3, delayMs: 3_600_000 },
    ]);
    const [claimed] = await queue.claim('ov');
    await queue.complete(claimed as ClaimedJob);
    // The overview is shared for a second between callers: wait for one that has the queue.
    const overview = async () => (await api<Overview>('GET', '/overview')).body;
    await expect
      .poll(async () => (await overview()).queues.some((q) => q.name === 'ov'))
      .toBe(true);
    const ov = (await overview()).queues.find((q) => q.name === 'ov');
    expect(ov?.counts.pending).toEqual({ value: 2, estimated: false }); // scheduled ones included
    expect(ov?.counts.scheduled).toEqual({ value: 1, estimated: false });
    expect(ov?.counts.completed).toEqual({ value: 1, estimated: false });
    expect(ov?.latency?.sample).toBe(1);
  });

  test('past 10,000 jobs a count is the planner estimate, flagged', async () => {
    await sql.query(
      `INSERT INTO pgpulse.jobs (id, queue, name, payload) SELECT gen_random_uuid(), 'big', 'x', '{}' FROM generate_series(1, 30000)`,
    );
    await sql.query('ANALYZE pgpulse.jobs');
    const big = await vi.waitUntil(
      async () =>
        (await api<Overview>('GET', '/overview')).body.queues.find((q) => q.name === 'big'),
      { timeout: 10_000 },
    );
    expect(big?.counts.pending.estimated).toBe(true);
    // The planner's estimate from ANALYZE, not the capped count (10,000).
    expect(big?.counts.pending.value).toBeGreaterThan(20_000);
  });

  test('a dead job is retried from its page, and its detail carries no lease token', async () => {
    const { id } = await queue.send('dl', { n: 1 }, { maxAttempts: 1 });
    const [claimed] = await queue.claim('dl');
    await queue.fail(claimed as ClaimedJob, new Error('boom'));
    const detail = (await api<JobDetail>('GET', `/jobs/${id}`)).body;
    expect(detail.job.state).toBe('dead');
    expect(detail.actions.retry).toBe(true);
    const dead = (await api<JobPage>('GET', '/dead')).body;
    expect(dead.jobs.map((job) => job.id)).toContain(id);
    const retried = await api<JobDetail>('POST', `/jobs/${id}/retry`, {});
    expect(retried.status).toBe(200);
    expect(retried.body.job.state).toBe('pending');
    const [again] = await queue.claim('dl');
    expect(again?.id).toBe(id);
    expect((await api<JobDetail>('GET', `/jobs/${id}`)).body.job.leaseToken).toBeNull();
  });

  test('purge refuses without the typed confirmation and deletes nothing', async () => {
    await queue.sendBatch('purgeme', [{ payload: 1 }, { payload: 2 }]);
    const before = await jobCount();
    const refused = await api<{ error: { code: string } }>('POST', '/queues/purgeme/purge', {
      confirm: 'purge',
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('confirmation');
    expect(await jobCount()).toBe(before);
    const done = await api<{ deleted: Record<string, number> }>('POST', '/queues/purgeme/purge', {
      confirm: 'purgeme',
    });
    expect(done.body.deleted).toEqual({ pending: 2 });
  });

  test('a mutation without the CSRF token, or cross-site, is refused', async () => {
    const { id } = await queue.send('csrf', {});
    const bare = await api<{ error: { code: string } }>('POST', `/jobs/${id}/cancel`, {}, {});
    expect(bare).toMatchObject({ status: 403, body: { error: { code: 'csrf' } } });
    const crossSite = await api<{ error: { code: string } }>(
      'POST',
      `/jobs/${id}/cancel`,
      {},
      {
        'x-pgpulse-csrf': session.csrfToken,
        'sec-fetch-site': 'cross-site',
      },
    );
    expect(crossSite.status).toBe(403);
    expect((await queue.getJob(id))?.state).toBe('pending');
  });

  test('a read-only dashboard refuses every mutation', async () => {
    const { id } = await queue.send('ro', {});
    const roSession = (await (
      await readOnly.fetch(new Request('http://x/ro/api/session'))
    ).json()) as SessionInfo;
    expect(roSession.readOnly).toBe(true);
    for (const [method, path] of [
      ['POST', `/jobs/${id}/cancel`],
      ['DELETE', `/jobs/${id}`],
      ['POST', '/queues/ro/pause'],
      ['POST', '/queues/ro/purge'],
      ['PATCH', '/queues/ro/settings'],
    ] as const) {
      const response = await readOnly.fetch(
        new Request(`http://x/ro/api${path}`, {
          method,
          headers: { 'content-type': 'application/json', 'x-pgpulse-csrf': roSession.csrfToken },
          body: JSON.stringify({ confirm: 'ro' }),
        }),
      );
      expect(response.status).toBe(403);
    }
    expect((await queue.getJob(id))?.state).toBe('pending');
    expect((await queue.queues.get('ro')).paused).toBe(false);
  });

  test('bad input is a 400 naming the field, and writes nothing', async () => {
    await queue.queues.upsert('pages', { concurrencyLimit: 2 });
    for (const path of [
      '/queues/pages/jobs?state=bogus',
      '/queues/pages/jobs?limit=0',
      '/queues/pages/jobs?from=not-a-date',
      '/queues/pages/jobs?cursor=garbage',
      `/queues/pages/jobs?cursor=${cursorOf({ at: 'x', id: NO_JOB })}`,
      `/queues/pages/jobs?cursor=${cursorOf({ priority: 1e12, at: '2026-01-01 00:00:00+00', id: NO_JOB })}`,
      '/search?q=a%3D%22%5Cu0000%22&queue=pages',
      '/jobs/not-a-uuid',
      '/search?q=',
    ]) {
      expect((await api('GET', path)).status, path).toBe(400);
    }
    const { id: deadId } = await queue.send('bad-redrive', {}, { maxAttempts: 1 });
    const [doomed] = await queue.claim('bad-redrive');
    await queue.fail(doomed as ClaimedJob, new Error('x'));
    const before = await jobCount();
    const settings = await queue.queues.get('pages');
    expect((await api('PATCH', '/queues/pages/settings', { concurrencyLimit: -1 })).status).toBe(
      400,
    );
    expect(await queue.queues.get('pages')).toEqual(settings);
    const redrive = { queue: 'bad-redrive', ids: [deadId, 'nope'] };
    expect((await api('POST', '/dead/redrive', redrive)).status).toBe(400);
    expect((await queue.getJob(deadId))?.state).toBe('dead');
    expect((await api('POST', '/queues/x/purge', '[1]')).status).toBe(400);
    expect(await jobCount()).toBe(before);
    expect((await api('GET', '/jobs/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  test('delete removes a finished job, and refuses a running one', async () => {
    const { id } = await queue.send('del', {});
    const [claimed] = await queue.claim('del');
    expect((await api('DELETE', `/jobs/${id}`)).status).toBe(409);
    await queue.complete(claimed as ClaimedJob);
    expect((await api('DELETE', `/jobs/${id}`)).status).toBe(200);
    expect(await queue.getJob(id)).toBeNull();
  });

  test('settings, pause and resume change the stored queue', async () => {
    await queue.send('settings', {});
    const changed = await api<{ settings: { concurrencyLimit: number } }>(
      'PATCH',
      '/queues/settings/settings',
      {
        concurrencyLimit: 3,
      },
    );
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body.settings.concurrencyLimit).toBe(3);
    expect(
      (await api('PATCH', '/queues/no-such-queue/settings', { concurrencyLimit: 3 })).status,
    ).toBe(404);
    await api('POST', '/queues/settings/pause', {});
    expect((await queue.queues.get('settings')).paused).toBe(true);
    await api('POST', '/queues/settings/resume', {});
    expect((await queue.queues.get('settings')).paused).toBe(false);
  });
});
