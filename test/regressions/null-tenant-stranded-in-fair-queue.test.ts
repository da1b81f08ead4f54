import { expect, test } from 'vitest';
import type { ClaimedJob } from '../../src/index.js';
import { useTestQueue } from '../helpers/database.js';

// Regression: a job without a tenant that was running (or dead) when its queue was switched to
// `fairTenants` came back to pending with a null tenant (released, retried, expired, redriven),
// and fair claims, which walk tenants, never took it: `stats` showed it pending forever. Every
// path back to pending must leave it claimable.

const { sql, queue } = await useTestQueue({ listen: false });

/** A queue with one job of no tenant, claimed (or dead), then switched to fair. */
async function heldWhenFairnessTurnsOn(name: string, dead = false): Promise<ClaimedJob> {
  await queue.send(name, { n: 1 }, { maxAttempts: dead ? 1 : 5 });
  const [job] = await queue.claim(name, { leaseMs: 60_000 });
  if (job === undefined) throw new Error('nothing claimed');
  if (dead) await queue.fail(job, new Error('boom'));
  await queue.queues.upsert(name, { fairTenants: true });
  return job;
}

async function fairClaimTakes(name: string, id: string): Promise<void> {
  const [again] = await queue.claim(name);
  expect(again?.id).toBe(id);
}

test.each([
  ['released', async (job: ClaimedJob) => void (await queue.release(job))],
  [
    'retried after a failure',
    async (job: ClaimedJob) => {
      await queue.fail(job, new Error('try again'));
      await sql.query(`UPDATE pgpulse.jobs SET run_at = now() WHERE id = $1`, [job.id]);
    },
  ],
  [
    'swept after its lease expired',
    async (job: ClaimedJob) => {
      await sql.query(
        `UPDATE pgpulse.jobs SET lease_expires_at = now() - interval '1 second' WHERE id = $1`,
        [job.id],
      );
      expect(await queue.sweeper().runOnce()).toHaveLength(1);
    },
  ],
])('a job %s is claimable by a fair claim', async (path, back) => {
  const name = `fair-${path.split(' ')[0]}`;
  const job = await heldWhenFairnessTurnsOn(name);
  await back(job);
  expect((await queue.stats(name)).counts.pending).toBe(1);
  await fairClaimTakes(name, job.id);
});

test('a dead job redriven is claimable by a fair claim', async () => {
  const job = await heldWhenFairnessTurnsOn('fair-redriven', true);
  expect((await queue.getJob(job.id))?.state).toBe('dead');
  expect(await queue.redrive('fair-redriven')).toEqual([job.id]);
  await fairClaimTakes('fair-redriven', job.id);
});
