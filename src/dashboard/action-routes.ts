import { Hono, type Context as HonoContext } from 'hono';
import { InvalidStateError, JobNotFoundError } from '../kernel/job-errors.js';
import type { JobState } from '../kernel/types.js';
import { checkJobId, checkName, invalid } from '../kernel/validate.js';
import type {
  PurgeRequest,
  RedriveRequest,
  ScheduleAnswer,
  ScheduleTriggered,
} from './api-types.js';
import { assertQueue, type DashboardDeps, jobDetail, queueDetail, toWire } from './read-routes.js';

/** The request's JSON body, which must be an object. */
async function bodyOf(c: HonoContext): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw invalid('body', 'a JSON object', '(not JSON)');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalid('body', 'a JSON object', body);
  }
  return body as Record<string, unknown>;
}

/** The API's actions: each needs the CSRF token, and none exists in read-only mode. */
export function actionRoutes(deps: DashboardDeps): Hono {
  const { queue } = deps;
  const api = new Hono();

  api.patch('/queues/:name/settings', async (c) => {
    const name = c.req.param('name');
    const settings = await bodyOf(c);
    await assertQueue(deps, name); // a queue that exists (settings or jobs), not a typo
    await queue.queues.upsert(name, settings);
    return c.json(await queueDetail(deps, name));
  });
  api.post('/queues/:name/pause', async (c) => {
    await assertQueue(deps, c.req.param('name'));
    await queue.queues.pause(c.req.param('name'));
    return c.json(await queueDetail(deps, c.req.param('name')));
  });
  api.post('/queues/:name/resume', async (c) => {
    await assertQueue(deps, c.req.param('name'));
    await queue.queues.resume(c.req.param('name'));
    return c.json(await queueDetail(deps, c.req.param('name')));
  });
  api.post('/queues/:name/purge', async (c) => {
    const name = checkName('queue', c.req.param('name'));
    const body = (await bodyOf(c)) as Partial<PurgeRequest>;
    if (body.confirm !== name) {
      return c.json(
        {
          error: {
            code: 'confirmation',
            message: `type the queue's name (${name}) to confirm the purge`,
          },
        },
        400,
      );
    }
    const states = body.states as JobState[] | undefined;
    const deleted = await queue.queues.purge(name, states === undefined ? {} : { states });
    return c.json({ deleted });
  });

  api.post('/jobs/:id/retry', async (c) => {
    await queue.retryDead(checkJobId('id', c.req.param('id')));
    return c.json(await jobDetail(deps, c.req.param('id')));
  });
  api.post('/jobs/:id/cancel', async (c) => {
    await queue.cancel(checkJobId('id', c.req.param('id')));
    return c.json(await jobDetail(deps, c.req.param('id')));
  });
  api.delete('/jobs/:id', async (c) => {
    const id = checkJobId('id', c.req.param('id'));
    const [row] = await deps.ctx.run<{ state: JobState; deleted: boolean }>(
      'dashboard_delete_job',
      [id],
    );
    if (row === undefined) throw new JobNotFoundError(id);
    if (!row.deleted) {
      throw new InvalidStateError(
        id,
        row.state,
        `Job ${id} is ${row.state}${row.state === 'running' ? '' : ' in a flow'}: cancel it instead of deleting it`,
      );
    }
    return c.json({ deleted: true });
  });

  api.post('/dead/redrive', async (c) => {
    const body = (await bodyOf(c)) as Partial<RedriveRequest>;
    const name = checkName('queue', body.queue);
    if (body.ids !== undefined) {
      if (!Array.isArray(body.ids) || body.ids.length === 0 || body.ids.length > 1_000) {
        throw invalid('ids', 'an array of 1 to 1,000 job ids', body.ids);
      }
      for (const [i, id] of body.ids.entries()) checkJobId(`ids[${i}]`, id);
    }
    const redriven = await queue.redrive(
      name,
      body.ids === undefined ? { limit: 100_000 } : { ids: body.ids },
    );
    return c.json({ redriven });
  });

  api.post('/schedules/:name/pause', async (c) =>
    c.json(toWire(await queue.schedules.pause(c.req.param('name'))) satisfies ScheduleAnswer),
  );
  api.post('/schedules/:name/resume', async (c) =>
    c.json(toWire(await queue.schedules.resume(c.req.param('name'))) satisfies ScheduleAnswer),
  );
  api.post('/schedules/:name/trigger', async (c) =>
    c.json((await queue.schedules.trigger(c.req.param('name'))) satisfies ScheduleTriggered),
  );
  return api;
}
