import { expect, test } from 'vitest';
import { useTestQueue } from '../helpers/database.js';

const { sql, queue } = await useTestQueue({ listen: false });
const DAY = 86_400_000;

async function age(ids: string[], days: number): Promise<void> {
  await sql.query(
    `UPDATE pgpulse.jobs SET finished_at = now() - $2 * interval '1 day', created_at = now() - $2 * interval '1 day'
     WHERE id = ANY ($1)`,
    [ids, days],
  );
}

async function completeOne(name: string): Promise<string> {
  const [job] = await queue.claim(name, { batchSize: 1 });
  if (job === undefined) throw new Error(`nothing to claim in ${name}`);
  await queue.complete(job, null);
  return job.id;
}

test('retention keeps a flow until it has finished, then prunes it as one unit with its edges', async () => {
  const { flowId, ids } = await queue.flow([
    { ref: 'a', queue: 'keep', payload: null },
    { ref: 'b', queue: 'keep', payload: null, dependsOn: ['a'] },
    { ref: 'c', queue: 'keep', payload: null, dependsOn: ['b'] },
  ]);
  const plain = await queue.send('keep-plain', null);
  await completeOne('keep-plain');
  await completeOne('keep');
  await age([ids.a as string], 3);
  await queue.prune({ olderThanMs: DAY });
  // The finished job of the unfinished flow stays; a plain job of that age would go.
  expect((await queue.getJob(ids.a as string))?.state).toBe('completed');
  expect(await queue.getJob(plain.id)).toMatchObject({ state: 'completed' });

  await completeOne('keep');
  await completeOne('keep');
  await age([ids.a as string, ids.b as string], 3);
  await queue.prune({ olderThanMs: DAY });
  // Finished now, but its last job finished within the day: the whole flow stays.
  expect((await queue.flows.get(flowId))?.jobs).toHaveLength(3);

  await age([ids.c as string], 2);
  const pruned = await queue.prune({ olderThanMs: DAY });
  expect(pruned.deleted).toBeGreaterThanOrEqual(3);
  expect(await queue.flows.get(flowId)).toBeNull();
  const { rows } = await sql.query(
    'SELECT count(*)::int AS n FROM pgpulse.job_deps WHERE flow_id = $1',
    [flowId],
  );
  expect(rows[0].n).toBe(0);
});

test('a dependency on a pruned job is refused, naming it', async () => {
  const gone = await queue.send('pruned-parent', null);
  await completeOne('pruned-parent');
  await sql.query('DELETE FROM pgpulse.jobs_done WHERE id = $1', [gone.id]);
  await expect(queue.send('x', null, { dependsOn: [gone.id] })).rejects.toMatchObject({
    code: 'PGPULSE_VALIDATION',
    field: 'dependsOn[0]',
  });
});
