import { expect, test } from 'vitest';
import { type ClaimRoute, claimBatch, resolveClaimOptions } from '../../src/claim/claim.js';
import { resolveQueueOptions } from '../../src/config/options.js';
import { type Context, createContext } from '../../src/db/context.js';
import type { QueryName } from '../../src/db/queries.js';
import { useTestQueue } from '../helpers/database.js';

const { queue } = await useTestQueue({ listen: false });
const base = createContext(queue.pool, resolveQueueOptions({ pool: queue.pool, listen: false }));

/** The real context, noting which statements ran. */
function recording(): { ctx: Context; ran: QueryName[] } {
  const ran: QueryName[] = [];
  const ctx: Context = Object.create(base, {
    run: {
      value: (query: QueryName, values: readonly unknown[]) => {
        ran.push(query);
        return base.run(query, values);
      },
    },
  });
  return { ctx, ran };
}

const claimOf = (ctx: Context, name: string, route: ClaimRoute, batchSize = 10) =>
  claimBatch(ctx, name, resolveClaimOptions({ batchSize }, queue.options), null, 0, route);

test('a plain queue is claimed through the lean statement; settings that shape claims are honoured at the next claim, and their removal too', async () => {
  const { ctx, ran } = recording();
  const route: ClaimRoute = { shaped: false };
  await queue.sendBatch(
    'route',
    Array.from({ length: 6 }, (_, i) => ({ payload: i })),
  );

  expect((await claimOf(ctx, 'route', route, 2)).jobs).toHaveLength(2);
  expect(ran).toEqual(['claim_plain']);
  expect(route.shaped).toBe(false);

  // Paused: the lean claim takes nothing and says why; the full claim runs at once.
  await queue.queues.pause('route');
  ran.length = 0;
  expect((await claimOf(ctx, 'route', route)).jobs).toHaveLength(0);
  expect(ran).toEqual(['claim_plain', 'claim_jobs']);
  expect(route.shaped).toBe(true);

  // A concurrency limit of 3 with 2 running: the full claim keeps running, and takes 1.
  await queue.queues.resume('route');
  await queue.queues.update('route', { concurrencyLimit: 3 });
  ran.length = 0;
  expect((await claimOf(ctx, 'route', route)).jobs).toHaveLength(1);
  expect(ran).toEqual(['claim_jobs']);
  expect(route.shaped).toBe(true);

  // The limit gone: the full claim says so, and the next claim is lean again.
  await queue.queues.update('route', { concurrencyLimit: null });
  ran.length = 0;
  expect((await claimOf(ctx, 'route', route, 1)).jobs).toHaveLength(1);
  expect(route.shaped).toBe(false);
  expect((await claimOf(ctx, 'route', route)).jobs).toHaveLength(2);
  expect(ran).toEqual(['claim_jobs', 'claim_plain']);
});

test('a fair queue is never claimed by the lean statement, even by a route that thought it plain', async () => {
  const { ctx, ran } = recording();
  await queue.queues.upsert('fair-route', { fairTenants: true });
  await queue.sendBatch('fair-route', [
    ...Array.from({ length: 4 }, (_, i) => ({ payload: i, tenant: 'big' })),
    { payload: 4, tenant: 'small' },
  ]);
  const route: ClaimRoute = { shaped: false };
  const { jobs } = await claimOf(ctx, 'fair-route', route, 2);
  // Fairness took one of each tenant: the full statement did the claiming.
  expect(jobs.map((job) => job.tenant).sort()).toEqual(['big', 'small']);
  expect(
    ((await queue.stats('fair-route')) as { counts: { running: number } }).counts.running,
  ).toBe(2);
  expect(ran).toEqual(['claim_plain', 'claim_jobs']);
  expect(route.shaped).toBe(true);
});

test('a claim scoped to one tenant takes the full statement', async () => {
  const { ctx, ran } = recording();
  await queue.sendBatch('scoped', [
    { payload: 1, tenant: 'a' },
    { payload: 2, tenant: 'b' },
  ]);
  const { jobs } = await claimBatch(
    ctx,
    'scoped',
    resolveClaimOptions({ batchSize: 5, tenant: 'b' }, queue.options),
    null,
    0,
    { shaped: false },
  );
  expect(jobs.map((job) => job.tenant)).toEqual(['b']);
  expect(ran).toEqual(['claim_jobs']);
});
