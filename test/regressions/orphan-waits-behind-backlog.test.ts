import { expect, test } from 'vitest';
import { useTestQueue } from '../helpers/database.js';

// Regression: the sweeper requeued a job whose lease expired (its worker died) with
// run_at = now(), so it waited behind the whole backlog that arrived while it ran: in an
// adversarial trial, orphans were back to pending within 3.4 s but started again only after
// 44 s at p50 and 84 s at worst. An orphan now keeps its place in line, as a released job does;
// a job whose previous attempt expired too (it may be what kills its workers) goes to the back.

const { sql, queue } = await useTestQueue({ listen: false });
const sweeper = queue.sweeper();

async function expireLease(id: string): Promise<void> {
  await sql.query(
    `UPDATE pgpulse.jobs SET lease_expires_at = now() - interval '1 second' WHERE id = $1`,
    [id],
  );
}

test('an orphan is claimed again before the backlog that arrived while it ran', async () => {
  const { id } = await queue.send('orphans', { first: true });
  const [held] = await queue.claim('orphans', { leaseMs: 60_000 });
  expect(held?.id).toBe(id);
  // While it runs, a backlog arrives; then its worker dies and the lease runs out.
  await queue.sendBatch(
    'orphans',
    Array.from({ length: 2000 }, (_, i) => ({ payload: { i } })),
  );
  await expireLease(id);
  expect(await sweeper.runOnce()).toEqual([{ id, queue: 'orphans', state: 'pending' }]);
  const [next] = await queue.claim('orphans');
  expect(next?.id).toBe(id);
  expect(next?.attempts).toBe(2);

  // It dies again: a job that may be killing its workers now waits its turn at the back.
  await expireLease(id);
  await sweeper.runOnce();
  const { rows } = await sql.query(
    `SELECT count(*)::int AS ahead FROM pgpulse.jobs AS j, pgpulse.jobs AS o
     WHERE o.id = $1 AND j.queue = 'orphans' AND j.state = 'pending'
       AND (j.priority, j.run_at, j.id) < (o.priority, o.run_at, o.id)`,
    [id],
  );
  expect(rows[0].ahead).toBe(2000); // the whole backlog
});
