import { expect, test } from 'vitest';
import { resolveClaimOptions } from '../../src/claim/claim.js';
import { Claimer } from '../../src/claim/claimer.js';
import { resolveQueueOptions } from '../../src/config/options.js';
import { createContext } from '../../src/db/context.js';
import type { ClaimedJob } from '../../src/index.js';
import { useTestQueue } from '../helpers/database.js';

const { queue } = await useTestQueue({ listen: false });
const ctx = createContext(queue.pool, resolveQueueOptions({ pool: queue.pool, listen: false }));

/** A claimer over `name` with `slots` free slots, and the jobs it handed over. */
function claimerFor(name: string, slots: number) {
  const claimed: ClaimedJob[] = [];
  const errors: unknown[] = [];
  const claimer = new Claimer({
    ctx,
    queue: name,
    claim: resolveClaimOptions({ batchSize: 10 }, queue.options),
    free: () => slots - claimed.length,
    onClaimed: (jobs) => claimed.push(...jobs),
    onNextDue: () => undefined,
    onRetryIn: () => undefined,
    onError: (error) => errors.push(error),
  });
  return { claimer, claimed, errors };
}

test('closed until woken; a short claim closes it again; freed capacity alone claims nothing', async () => {
  const { claimer, claimed } = claimerFor('states', 3);
  expect(claimer.state).toBe('closed');
  claimer.wake('notify');
  expect(claimer.state).toBe('open');
  await claimer.quiet();
  expect(claimer.state).toBe('closed'); // nothing was there: the claim came back short
  await queue.sendBatch('states', [{ payload: 1 }, { payload: 2 }]);
  claimer.wake('capacity'); // not a hint that jobs exist: the closed claimer stays closed
  await claimer.quiet();
  expect(claimed).toHaveLength(0);
  claimer.wake('notify');
  await claimer.quiet();
  expect(claimed).toHaveLength(2);
  expect(claimer.state).toBe('closed');
});

test('a full claim leaves it open, so freed capacity claims the rest', async () => {
  const { claimer, claimed } = claimerFor('full', 2);
  await queue.sendBatch(
    'full',
    Array.from({ length: 5 }, (_, i) => ({ payload: i })),
  );
  claimer.wake('notify');
  await claimer.quiet();
  expect(claimed).toHaveLength(2);
  expect(claimer.state).toBe('open'); // the claim came back full: more may wait
});

test('stopped is final: a wake after stop claims nothing', async () => {
  const { claimer, claimed } = claimerFor('stopping', 5);
  await queue.send('stopping', {});
  await claimer.stop();
  expect(claimer.state).toBe('stopped');
  claimer.wake('notify');
  await claimer.quiet();
  expect(claimed).toHaveLength(0);
  expect(claimer.state).toBe('stopped');
});
