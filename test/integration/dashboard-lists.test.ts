import { describe, expect, test } from 'vitest';
import type {
  FlowList,
  JobPage,
  ScheduleList,
  SearchResult,
} from '../../src/dashboard/api-types.js';
import { useDashboardApi } from '../helpers/dashboard.js';
import { useTestQueue } from '../helpers/database.js';

const { sql, queue } = await useTestQueue({ listen: false });
const { api } = await useDashboardApi(queue, { basePath: '/ops' });

describe('job lists and search', () => {
  test('job lists page by keyset, with filters, without gaps or repeats', async () => {
    await queue.sendBatch(
      'pages',
      Array.from({ length: 25 }, (_, i) => ({ payload: i, name: i % 2 === 0 ? 'even' : 'odd' })),
    );
    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page: JobPage = (
        await api<JobPage>('GET', `/queues/pages/jobs?state=pending&limit=10&cursor=${cursor}`)
      ).body;
      seen.push(...page.jobs.map((job) => job.id));
      cursor = page.next;
    }
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    const evens = (await api<JobPage>('GET', '/queues/pages/jobs?state=pending&name=even&limit=50'))
      .body;
    expect(evens.jobs).toHaveLength(13);
    expect(evens.jobs.every((job) => job.name === 'even')).toBe(true);
  });

  test('finished lists page newest first through ties, from both tables', async () => {
    const sent = await queue.sendBatch(
      'done',
      Array.from({ length: 25 }, (_, i) => ({ payload: i })),
    );
    const claimed = await queue.claim('done', { batchSize: 25 });
    await queue.completeMany(claimed.map((job) => ({ job })));
    // Every one finished at the same instant: only the id orders them.
    await sql.query(
      `UPDATE pgpulse.jobs_done SET finished_at = '2026-01-01 00:00:00.123456+00' WHERE queue = 'done'`,
    );
    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const path = `/queues/done/jobs?state=completed&limit=10&cursor=${cursor}`;
      const page: JobPage = (await api<JobPage>('GET', path)).body;
      seen.push(...page.jobs.map((job) => job.id));
      cursor = page.next;
    }
    expect(seen).toHaveLength(25);
    expect(new Set(seen)).toEqual(new Set(sent.map((job) => job.id)));
  });

  test('find a job by id, idempotency key or payload field', async () => {
    const { id } = await queue.send('find', { user: { id: 42 } }, { idempotencyKey: 'order-7' });
    const byId = (await api<SearchResult>('GET', `/search?q=${id}`)).body;
    expect(byId).toMatchObject({ by: 'id', jobs: [{ id }] });
    const byKey = (await api<SearchResult>('GET', '/search?q=order-7&queue=find')).body;
    expect(byKey).toMatchObject({ by: 'idempotency-key', jobs: [{ id }] });
    const byField = (await api<SearchResult>('GET', '/search?q=user.id%3D42&queue=find')).body;
    expect(byField).toMatchObject({ by: 'payload', jobs: [{ id }] });
  });
});

describe('flows, schedules and workers', () => {
  test('list and read them', async () => {
    const flow = await queue.flow([
      { ref: 'a', queue: 'flowq', payload: {} },
      { ref: 'b', queue: 'flowq', payload: {}, dependsOn: ['a'] },
    ]);
    const flows = await api<FlowList>('GET', '/flows');
    expect(flows.status).toBe(200);
    expect(flows.body.flows[0]).toMatchObject({ id: flow.flowId, jobs: 2, finished: false });
    expect(flows.body.flows[0]?.counts).toEqual({ pending: 1, waiting: 1 });
    const detail = await api<{ jobs: unknown[] }>('GET', `/flows/${flow.flowId}`);
    expect(detail.body.jobs).toHaveLength(2);
    await queue.schedules.set('every-hour', { queue: 'flowq', cron: '0 * * * *' });
    const schedules = await api<ScheduleList>('GET', '/schedules');
    expect(schedules.body.schedules.map((s) => s.name)).toContain('every-hour');
    const paused = await api<{ state: string }>('POST', '/schedules/every-hour/pause', {});
    expect(paused.body.state).toBe('paused');
    expect((await api('GET', '/workers')).status).toBe(200);
  });
});
