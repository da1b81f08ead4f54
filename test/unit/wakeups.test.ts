import { map, type Observable, of, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, test } from 'vitest';
import { dueTimer, MAX_TIMER_MS, type Notice, wakeups } from '../../src/wake/wakeups.js';

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('dueTimer beyond the longest timer', () => {
  // Regression: a job due in 30 days asked Node for a timer longer than 2^31 - 1 ms, which fires
  // after 1 ms instead: the worker claimed in a tight loop. Long waits go in capped steps.
  test('a job due in 30 days never asks for a timer longer than Node allows', () => {
    const s = scheduler();
    const delays: number[] = [];
    const schedule = s.schedule.bind(s);
    s.schedule = ((work, delay, state) => {
      delays.push(delay ?? 0);
      return schedule(work, delay, state);
    }) as typeof s.schedule;
    const thirtyDays = 30 * 86_400_000;
    s.run(({ expectObservable }) => {
      expectObservable(dueTimer(of(thirtyDays), s)).toBe(`${thirtyDays}ms (d|)`, { d: thirtyDays });
    });
    expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_TIMER_MS);
    expect(MAX_TIMER_MS).toBe(2 ** 31 - 1);
  });

  test('a due time beyond the longest delay still fires exactly when due, and only then', () => {
    const s = scheduler();
    s.run(({ hot, expectObservable }) => {
      const times = hot<number>('-t', { t: 25 });
      expectObservable(dueTimer(times, s, 10), '^--------------------------!').toBe(
        '-------------------------d-',
        { d: 25 },
      );
    });
  });
});

describe('wakeups', () => {
  test('wakes at start, on each due notice, on reconnect, on freed capacity, and on every poll', () => {
    scheduler().run(({ cold, hot, expectObservable }) => {
      const notices = hot<Notice>('--a-----', { a: { dueAt: null } });
      const reconnects = hot('----r---');
      const capacity = hot('------c-');
      const wakes = wakeups(
        { notices, reconnects, capacity, dueTimes: cold('') },
        { pollIntervalMs: 5 },
      );
      expectObservable(wakes, '^-------!').toBe('s-n-rpc-', {
        s: 'start',
        n: 'notify',
        r: 'reconnect',
        c: 'capacity',
        p: 'poll',
      });
    });
  });

  test('a reconnect triggers a catch-up wake', () => {
    scheduler().run(({ cold, hot, expectObservable }) => {
      const wakes = wakeups(
        { notices: cold(''), reconnects: hot('---r--'), capacity: cold(''), dueTimes: cold('') },
        { pollIntervalMs: 1000 },
      );
      expectObservable(wakes, '^-----!').toBe('s--r--', { s: 'start', r: 'reconnect' });
    });
  });

  test('a notice for a delayed job arms a timer that wakes exactly when it is due, not at a poll', () => {
    scheduler().run(({ hot, cold, expectObservable }) => {
      // At frame 2 a job due at frame 10 is announced; the poll is far away (100).
      const notices = hot<Notice>('--d', { d: { dueAt: 10 } });
      const wakes = wakeups(
        { notices, reconnects: cold(''), capacity: cold(''), dueTimes: cold('') },
        { pollIntervalMs: 100 },
      );
      expectObservable(wakes, '^-----------!').toBe('s---------w-', { s: 'start', w: 'due' });
    });
  });

  test('due times learned from the database arm the same timer', () => {
    scheduler().run(({ hot, cold, expectObservable }) => {
      const dueTimes = hot<number>('-t', { t: 6 });
      const wakes = wakeups(
        { notices: cold(''), reconnects: cold(''), capacity: cold(''), dueTimes },
        { pollIntervalMs: 100 },
      );
      expectObservable(wakes, '^-------!').toBe('s-----w-', { s: 'start', w: 'due' });
    });
  });

  test('nothing wakes it but the poll when notifications never come (LISTEN unavailable)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const wakes = wakeups(
        { notices: cold(''), reconnects: cold(''), capacity: cold(''), dueTimes: cold('') },
        { pollIntervalMs: 3 },
      );
      expectObservable(wakes, '^---------!').toBe('s--p--p--p', { s: 'start', p: 'poll' });
    });
  });
});

describe('dueTimer', () => {
  const at = (times: Observable<number>, s: TestScheduler) => dueTimer(times, s).pipe(map(String));

  test('an earlier due time replaces the armed one; a later one is ignored', () => {
    const s = scheduler();
    s.run(({ hot, expectObservable }) => {
      const times = hot<number>('-a-b-c', { a: 20, b: 8, c: 15 });
      expectObservable(at(times, s), '^-----------------------!').toBe('--------x---------------', {
        x: '8',
      });
    });
  });

  test('once the armed time has passed, any later time arms a new timer', () => {
    const s = scheduler();
    s.run(({ hot, expectObservable }) => {
      const times = hot<number>('-a-------b', { a: 4, b: 12 });
      expectObservable(at(times, s), '^--------------!').toBe('----x-------y--', {
        x: '4',
        y: '12',
      });
    });
  });

  test('a time already past fires at once without disarming the pending timer', () => {
    const s = scheduler();
    s.run(({ hot, expectObservable }) => {
      const times = hot<number>('-a--p', { a: 9, p: 1 });
      expectObservable(at(times, s), '^-----------!').toBe('----p----a--', { p: '1', a: '9' });
    });
  });

  // Regression: a delayed job could wait for the next poll (seen as 24 jobs ~860 ms late). A timer
  // fired a little before now() reached its time; the next due time, learned at that moment, was
  // taken for a later one than the timer still pending, and ignored: nothing was armed any more.
  test('a due time learned when a timer fired early is still armed', () => {
    const s = scheduler();
    s.run(({ hot, expectObservable }) => {
      // Timers fire two frames early, as libuv's cached clock can make them.
      const early: SchedulerLike = {
        now: () => s.now(),
        schedule: ((work: () => void, delay = 0) =>
          s.schedule(work, Math.max(0, delay - 2))) as SchedulerLike['schedule'],
      };
      const times = hot<number>('-a-------b', { a: 10, b: 12 });
      expectObservable(at(times, early as TestScheduler), '^-----------!').toBe('--------x-y-', {
        x: '10',
        y: '12',
      });
    });
  });
});
