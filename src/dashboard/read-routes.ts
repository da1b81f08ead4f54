import { Hono } from 'hono';
import type { Context } from '../db/context.js';
import { QueueNotFoundError } from '../kernel/errors.js';
import { JobNotFoundError } from '../kernel/job-errors.js';
import type { Job } from '../kernel/types.js';
import { checkJobId, checkName } from '../kernel/validate.js';
import type { Queue } from '../queue.js';
import type {
  FlowDetail,
  FlowList,
  FlowSummary,
  JobDetail,
  QueueDetail,
  ScheduleList,
  SessionInfo,
  Wire,
  WorkerList,
} from './api-types.js';
import { deadJobPage, listJobPage, searchJobs } from './jobs.js';
import type { LiveFeed } from './live.js';
import { overviewOf, queueNames } from './overview.js';

/** What the routes work with. */
/** A value as its JSON reads back (dates as ISO strings), typed so. */
export function toWire<T>(value: T): Wire<T> {
  return JSON.parse(JSON.stringify(value)) as Wire<T>;
}

export interface DashboardDeps {
  readonly queue: Queue;
  readonly ctx: Context;
  readonly live: LiveFeed;
  readonly session: SessionInfo;
}

const FINISHED = new Set(['completed', 'dead', 'cancelled']);
const HIGHEST_FLOW = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

/** A job as the page shows it: without its lease token (a fencing secret of its worker). */
export async function jobDetail(deps: DashboardDeps, id: string): Promise<JobDetail> {
  checkJobId('id', id);
  const job = await deps.queue.getJob(id);
  if (job === null) throw new JobNotFoundError(id);
  const explain = FINISHED.has(job.state) ? null : await deps.queue.explain(id);
  const shown: Job = { ...job, leaseToken: null };
  return {
    job: toWire(shown),
    explain: explain === null ? null : toWire(explain),
    actions: {
      retry: job.state === 'dead' && !job.archived,
      cancel: job.state === 'pending' || job.state === 'running' || job.state === 'waiting',
      delete:
        !job.archived &&
        (FINISHED.has(job.state) || (job.state === 'pending' && job.flowId === null)),
    },
  };
}

/** Throws QueueNotFoundError unless the queue has settings or jobs. */
export async function assertQueue(deps: DashboardDeps, name: string): Promise<void> {
  checkName('queue', name);
  if (!(await queueNames(deps.ctx)).includes(name)) throw new QueueNotFoundError(name);
}

/** Settings and live figures of one queue. */
export async function queueDetail(deps: DashboardDeps, name: string): Promise<QueueDetail> {
  await assertQueue(deps, name);
  const settings = await deps.queue.queues.get(name);
  const [overview] = await overviewOf(deps.ctx, [name]);
  return {
    settings: toWire(settings),
    overview: overview as QueueDetail['overview'],
  };
}

interface FlowRow {
  id: string;
  created_at: Date;
  counts: FlowSummary['counts'];
  jobs: number;
}

/** The API's reads: every answer is JSON of a type of api-types.ts. */
export function readRoutes(deps: DashboardDeps): Hono {
  const api = new Hono();
  api.get('/session', (c) => c.json(deps.session));
  api.get('/overview', async (c) => c.json(await deps.live.overview()));
  api.get('/queues/:name', async (c) => c.json(await queueDetail(deps, c.req.param('name'))));
  api.get('/queues/:name/jobs', async (c) =>
    c.json(await listJobPage(deps.ctx, c.req.param('name'), c.req.query())),
  );
  api.get('/jobs/:id', async (c) => c.json(await jobDetail(deps, c.req.param('id'))));
  api.get('/dead', async (c) => c.json(await deadJobPage(deps.ctx, c.req.query())));
  api.get('/schedules', async (c) => {
    const schedules = await deps.queue.schedules.list();
    return c.json(toWire({ schedules }) satisfies ScheduleList);
  });
  api.get('/flows', async (c) => {
    const cursor = c.req.query('cursor') || HIGHEST_FLOW;
    checkJobId('cursor', cursor);
    const limit = 25;
    const rows = await deps.ctx.run<FlowRow>('dashboard_flows', [limit + 1, cursor]);
    const flows = rows.slice(0, limit).map((row) => ({
      id: row.id,
      createdAt: row.created_at.toISOString(),
      counts: row.counts,
      finished: !('waiting' in row.counts || 'pending' in row.counts || 'running' in row.counts),
      jobs: row.jobs,
    }));
    const body: FlowList = { flows, next: rows.length > limit ? (flows.at(-1)?.id ?? null) : null };
    return c.json(body);
  });
  api.get('/flows/:id', async (c) => {
    const id = c.req.param('id');
    checkJobId('id', id);
    const flow = await deps.queue.flows.get(id);
    if (flow === null) {
      return c.json({ error: { code: 'not-found', message: `no flow has id ${id}` } }, 404);
    }
    return c.json(toWire(flow) satisfies FlowDetail);
  });
  api.get('/workers', async (c) => {
    const workers = await deps.queue.workers.list();
    return c.json(toWire({ workers }) satisfies WorkerList);
  });
  api.get('/search', async (c) =>
    c.json(await searchJobs(deps.ctx, c.req.query('q'), c.req.query('queue'))),
  );
  return api;
}
