import { randomUUID } from 'node:crypto';
import { expect, test } from 'vitest';
import { resolveQueueOptions } from '../../src/config/options.js';
import { createContext } from '../../src/db/context.js';
import { completeJobs } from '../../src/settle/settler.js';
import { useTestQueue } from '../helpers/database.js';

// Found in review of the hand-off (migration 0020): a completion that handed its worker a child
// commits, and its reply is lost (a dropped connection). The batcher retries the completion,
// which is refused (the job is completed already), and the child stayed running under the
// worker, which never heard of it: its lease ran out and it spent an attempt without running (a
// child with maxAttempts 1 went dead). The retry now gets the child back by the lease token the
// worker chose, with its lease renewed.

const { sql, queue } = await useTestQueue({ listen: false });
const ctx = createContext(queue.pool, resolveQueueOptions({ pool: queue.pool, listen: false }));

async function childRow(id: string) {
  const { rows } = await sql.query(
    `SELECT state, attempts, lease_token::text, lease_expires_at FROM pgpulse.jobs WHERE id = $1`,
    [id],
  );
  return rows[0];
}

test('a completion retried after its reply was lost gets back the child its first attempt was handed', async () => {
  const { ids } = await queue.flow([
    { ref: 'p', queue: 'lost-reply', payload: 1 },
    { ref: 'c', queue: 'lost-reply', payload: 2, dependsOn: ['p'], maxAttempts: 1 },
  ]);
  const [parent] = await queue.claim('lost-reply');
  expect(parent?.id).toBe(ids.p);
  if (parent === undefined) return;
  const take = { queue: 'lost-reply', workerId: 'w-1', leaseMs: 30_000, token: randomUUID() };

  const [first] = await completeJobs(ctx, [{ job: parent, result: 'r', take }]);
  expect(first).toMatchObject({
    ok: true,
    next: { job: { id: ids.c, leaseToken: take.token, workerId: 'w-1', attempts: 1 } },
  });
  const handed = await childRow(ids.c as string);
  expect(handed).toMatchObject({ state: 'running', attempts: 1, lease_token: take.token });

  // The same completion again, as the batcher sends it when the first reply was lost.
  const [retried] = await completeJobs(ctx, [{ job: parent, result: 'r', take }]);
  expect(retried?.ok).toBe(false);
  expect(retried?.next?.job).toMatchObject({ id: ids.c, leaseToken: take.token, attempts: 1 });
  const after = await childRow(ids.c as string);
  expect(after).toMatchObject({ state: 'running', attempts: 1, lease_token: take.token });
  expect(after.lease_expires_at.getTime()).toBeGreaterThanOrEqual(
    handed.lease_expires_at.getTime(),
  );

  // The worker runs it with that lease.
  const child = retried?.next?.job;
  if (child === undefined) return;
  await queue.complete(child, 'done');
  expect((await queue.getJob(ids.c as string))?.state).toBe('completed');
});

test('a retried completion gets back no child that another token leased', async () => {
  const { ids } = await queue.flow([
    { ref: 'p', queue: 'lost-reply-2', payload: 1 },
    { ref: 'c', queue: 'lost-reply-2', payload: 2, dependsOn: ['p'] },
  ]);
  const [parent] = await queue.claim('lost-reply-2');
  if (parent === undefined) throw new Error('no parent claimed');
  const take = { queue: 'lost-reply-2', workerId: 'w-1', leaseMs: 30_000, token: randomUUID() };
  const [first] = await completeJobs(ctx, [{ job: parent, result: 'r', take }]);
  expect(first?.next?.job.id).toBe(ids.c);
  const [other] = await completeJobs(ctx, [
    { job: parent, result: 'r', take: { ...take, token: randomUUID() } },
  ]);
  expect(other).toMatchObject({ ok: false });
  expect(other?.next).toBeUndefined();
});
