import { expect, test } from 'vitest';
import { scriptedClaimer } from '../helpers/scripted-claimer.js';

// Regression: a delayed job announced a few milliseconds before its run_at could wait for the
// fallback poll (a second by default) instead of starting on time. A consumer places a notice's
// run_at on its own clock with an offset that errs early, so such a notice looked due and woke a
// claim at once; the claim, on the database's clock, found the job not yet due and came back
// short, and since a notification does not ask for the next due time, no timer was armed. Found
// by the schedules bench: with an interval of 100 ms, a schedule's next tick is announced just
// before it falls due, and ticks started up to a second late. A claim that comes back short
// having looked before an announced run_at now asks for the next due time.

test('a claim that looked before an announced run_at arms a timer for it', async () => {
  const dbNowMs = 1_000_000;
  // The claim finds nothing due yet; the job is due 3 ms after the claim looked.
  const { claimer, asked, due } = scriptedClaimer((query) =>
    query === 'claim_plain'
      ? [{ id: null, db_now_ms: String(dbNowMs), looked_until_ms: String(dbNowMs) }]
      : [{ due_in_ms: '3', db_now_ms: String(dbNowMs + 1) }],
  );
  claimer.announced(dbNowMs + 3);
  claimer.wake('notify');
  await claimer.quiet();
  expect(asked).toEqual(['claim_plain', 'next_run_at']);
  expect(due).toHaveLength(1);
  expect(due[0]?.dueAt).not.toBeNull();

  // A notice of a job already due when the claim looked (an ordinary send) costs no lookup.
  asked.length = 0;
  claimer.announced(dbNowMs - 5);
  claimer.wake('notify');
  await claimer.quiet();
  expect(asked).toEqual(['claim_plain']);
  await claimer.stop();
});
