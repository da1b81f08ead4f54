import { expect, test } from 'vitest';
import { deferred } from '../helpers/deferred.js';
import { scriptedClaimer } from '../helpers/scripted-claimer.js';

// Regression: a claim that came back short having looked before an announced job's due time asks
// for the next due time; if a lookup was already out (it may have looked before that job was
// added, and found nothing), the request waited for the next wake, which could be the fallback
// poll: the job then started up to a second late. Suspected in a schedules bench run, where one
// tick of a 100 ms schedule started 806 ms late. A request made during a lookup now runs once it
// returns.

test('a next-due lookup asked for while one is out runs when that one returns', async () => {
  const dbNowMs = 1_000_000;
  const firstLookup = deferred<unknown[]>();
  let lookups = 0;
  const { claimer, asked, due } = scriptedClaimer((query) => {
    if (query === 'claim_plain') {
      return [{ id: null, db_now_ms: String(dbNowMs), looked_until_ms: String(dbNowMs) }];
    }
    lookups++;
    // The first lookup is slow and finds nothing; the second finds the announced job.
    if (lookups === 1) return firstLookup.promise;
    return [{ due_in_ms: '50', db_now_ms: String(dbNowMs + 1) }];
  });
  claimer.wake('poll'); // a claim, then a lookup that stays out
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  expect(asked).toEqual(['claim_plain', 'next_run_at']);
  // Meanwhile a job due in 50 ms is announced, and the claim it wakes comes back short.
  claimer.announced(dbNowMs + 50);
  claimer.wake('notify');
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  firstLookup.resolve([{ due_in_ms: null, db_now_ms: String(dbNowMs) }]);
  await claimer.quiet();
  await new Promise((resolve) => setImmediate(resolve));
  await claimer.quiet();
  expect(asked).toEqual(['claim_plain', 'next_run_at', 'claim_plain', 'next_run_at']);
  expect(due.map((next) => next.dueAt !== null)).toEqual([false, true]);
  await claimer.stop();
});
