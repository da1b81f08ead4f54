import { describe, expect, test } from 'vitest';
import {
  parseEvery,
  type ResolvedTiming,
  resolveTiming,
} from '../../src/config/schedule-timing.js';
import { firstTick, nextTick, planAdvance, ticksBetween } from '../../src/schedule/ticks.js';

const at = (iso: string) => new Date(iso);
const iso = (date: Date | null) => date?.toISOString() ?? null;

/** The next `count` ticks after `from`, each computed from the one before (as claims do). */
function ticksAfter(timing: ResolvedTiming, from: string, count: number): (string | null)[] {
  const out: (string | null)[] = [];
  let cursor: Date | null = at(from);
  for (let i = 0; i < count && cursor !== null; i++) {
    cursor = nextTick(timing, cursor);
    out.push(iso(cursor));
  }
  return out;
}

describe('cron ticks across DST (the clock is passed in)', () => {
  test('Europe/Berlin, 02:30 daily: spring forward runs at 03:00 once, fall back runs once, at the first 02:30', () => {
    const daily = resolveTiming({ cron: '0 30 2 * * *', timezone: 'Europe/Berlin' });
    // 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist.
    expect(ticksAfter(daily, '2026-03-27T12:00:00Z', 4)).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:00:00.000Z', // 03:00 CEST, the first valid time after the gap
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
      '2026-03-31T00:30:00.000Z',
    ]);
    // 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice.
    expect(ticksAfter(daily, '2026-10-23T12:00:00Z', 4)).toEqual([
      '2026-10-24T00:30:00.000Z', // 02:30 CEST
      '2026-10-25T00:30:00.000Z', // the first 02:30 (CEST); not again at 01:30Z (CET)
      '2026-10-26T01:30:00.000Z', // 02:30 CET
      '2026-10-27T01:30:00.000Z',
    ]);
  });

  test('America/New_York, 02:30 daily on 2026-03-08 and 01:30 daily on 2026-11-01', () => {
    const spring = resolveTiming({ cron: '30 2 * * *', timezone: 'America/New_York' });
    expect(ticksAfter(spring, '2026-03-07T12:00:00Z', 3)).toEqual([
      '2026-03-08T07:00:00.000Z', // 03:00 EDT
      '2026-03-09T06:30:00.000Z', // 02:30 EDT
      '2026-03-10T06:30:00.000Z',
    ]);
    // 02:30 on the fall-back day exists once (01:00-02:00 repeats): an ordinary day.
    expect(ticksAfter(spring, '2026-10-31T12:00:00Z', 2)).toEqual([
      '2026-11-01T07:30:00.000Z', // 02:30 EST
      '2026-11-02T07:30:00.000Z',
    ]);
    const repeated = resolveTiming({ cron: '30 1 * * *', timezone: 'America/New_York' });
    expect(ticksAfter(repeated, '2026-10-31T12:00:00Z', 2)).toEqual([
      '2026-11-01T05:30:00.000Z', // the first 01:30 (EDT) only
      '2026-11-02T06:30:00.000Z',
    ]);
  });

  test('an interval expression runs through the repeated hour on both passes', () => {
    const halfHourly = resolveTiming({ cron: '0 */30 * * * *', timezone: 'America/New_York' });
    expect(ticksAfter(halfHourly, '2026-11-01T04:50:00Z', 6)).toEqual([
      '2026-11-01T05:00:00.000Z', // 01:00 EDT
      '2026-11-01T05:30:00.000Z', // 01:30 EDT
      '2026-11-01T06:00:00.000Z', // 01:00 EST
      '2026-11-01T06:30:00.000Z', // 01:30 EST
      '2026-11-01T07:00:00.000Z',
      '2026-11-01T07:30:00.000Z',
    ]);
  });

  test('`every` is absolute time: DST does not move it', () => {
    const hourly = resolveTiming({ every: '1h', timezone: 'Europe/Berlin' });
    expect(ticksAfter(hourly, '2026-03-29T00:10:00Z', 3)).toEqual([
      '2026-03-29T01:00:00.000Z',
      '2026-03-29T02:00:00.000Z',
      '2026-03-29T03:00:00.000Z',
    ]);
  });

  test('seconds, and a startAt the interval counts from', () => {
    const everySecond = resolveTiming({ cron: '* * * * * *' });
    expect(ticksAfter(everySecond, '2026-01-01T00:00:00.500Z', 2)).toEqual([
      '2026-01-01T00:00:01.000Z',
      '2026-01-01T00:00:02.000Z',
    ]);
    const fromStart = resolveTiming({ every: 250, startAt: at('2026-01-01T00:00:00.100Z') });
    expect(ticksAfter(fromStart, '2025-12-31T00:00:00Z', 3)).toEqual([
      '2026-01-01T00:00:00.100Z',
      '2026-01-01T00:00:00.350Z',
      '2026-01-01T00:00:00.600Z',
    ]);
    const cronFromStart = resolveTiming({
      cron: '0 * * * * *',
      startAt: at('2026-01-01T00:05:00Z'),
    });
    expect(iso(nextTick(cronFromStart, at('2026-01-01T00:00:00Z')))).toBe(
      '2026-01-01T00:05:00.000Z',
    );
  });

  test('endAt: a tick at it runs, none after', () => {
    const timing = resolveTiming({ every: '1s', endAt: at('2026-01-01T00:00:02Z') });
    expect(ticksAfter(timing, '2026-01-01T00:00:00.5Z', 3)).toEqual([
      '2026-01-01T00:00:01.000Z',
      '2026-01-01T00:00:02.000Z',
      null,
    ]);
  });
});

describe('ticksBetween', () => {
  test('the newest ticks in (from, to], oldest first', () => {
    const every = resolveTiming({ every: 100 });
    expect(
      ticksBetween(every, at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:00.450Z'), 3).map(iso),
    ).toEqual(['2026-01-01T00:00:00.200Z', '2026-01-01T00:00:00.300Z', '2026-01-01T00:00:00.400Z']);
    const cron = resolveTiming({ cron: '*/10 * * * * *' });
    expect(
      ticksBetween(cron, at('2026-01-01T00:00:00Z'), at('2026-01-01T00:01:00Z'), 10).map(iso),
    ).toEqual([
      '2026-01-01T00:00:10.000Z',
      '2026-01-01T00:00:20.000Z',
      '2026-01-01T00:00:30.000Z',
      '2026-01-01T00:00:40.000Z',
      '2026-01-01T00:00:50.000Z',
      '2026-01-01T00:01:00.000Z',
    ]);
  });
});

describe('planAdvance: what the claim of the waiting tick does', () => {
  const T = at('2026-01-01T00:00:01Z');
  const onTime = at('2026-01-01T00:00:01.003Z');
  const afterFiveTicks = at('2026-01-01T00:00:06.5Z');
  const plan = (policy: object, now: Date, runs = 1) =>
    planAdvance(resolveTiming({ every: '1s', ...policy }), T, now, runs);

  test('on time: the next tick waits, whatever the policy', () => {
    for (const misfire of ['once', 'all', 'skip'] as const) {
      expect(plan({ misfire }, onTime)).toEqual({
        ticks: [at('2026-01-01T00:00:02Z')],
        next: at('2026-01-01T00:00:02Z'),
        misfireSkip: false,
        missed: false,
      });
    }
  });

  test('after five missed ticks: once runs the claimed job only; the next tick is after now', () => {
    expect(plan({ misfire: 'once' }, afterFiveTicks)).toEqual({
      ticks: [at('2026-01-01T00:00:07Z')],
      next: at('2026-01-01T00:00:07Z'),
      misfireSkip: false,
      missed: true,
    });
  });

  test('all runs the newest missed ticks up to the cap (the claimed job counts)', () => {
    expect(plan({ misfire: 'all', misfireCap: 3 }, afterFiveTicks).ticks.map(iso)).toEqual([
      '2026-01-01T00:00:05.000Z',
      '2026-01-01T00:00:06.000Z',
      '2026-01-01T00:00:07.000Z',
    ]);
    expect(plan({ misfire: 'all' }, afterFiveTicks).ticks.map(iso)).toEqual([
      '2026-01-01T00:00:02.000Z',
      '2026-01-01T00:00:03.000Z',
      '2026-01-01T00:00:04.000Z',
      '2026-01-01T00:00:05.000Z',
      '2026-01-01T00:00:06.000Z',
      '2026-01-01T00:00:07.000Z',
    ]);
  });

  test('skip runs nothing for them: the claimed job is skipped too', () => {
    expect(plan({ misfire: 'skip' }, afterFiveTicks)).toMatchObject({
      ticks: [at('2026-01-01T00:00:07Z')],
      misfireSkip: true,
    });
  });

  test('maxRuns stops making jobs, and then nothing waits', () => {
    expect(plan({ maxRuns: 2 }, onTime, 1).next).toEqual(at('2026-01-01T00:00:02Z'));
    expect(plan({ maxRuns: 2 }, onTime, 2)).toMatchObject({ ticks: [], next: null });
    expect(plan({ misfire: 'all', maxRuns: 3 }, afterFiveTicks, 1)).toMatchObject({
      ticks: [at('2026-01-01T00:00:02Z'), at('2026-01-01T00:00:03Z')],
      next: null,
    });
    expect(firstTick(resolveTiming({ every: '1s', maxRuns: 1 }), onTime, 1)).toBeNull();
  });
});

describe('intervals', () => {
  test('milliseconds or durations, at least 100 ms', () => {
    expect(parseEvery('every', 250)).toBe(250);
    expect(parseEvery('every', '250ms')).toBe(250);
    expect(parseEvery('every', '1.5s')).toBe(1500);
    expect(parseEvery('every', '1h30m')).toBe(5_400_000);
    expect(parseEvery('every', '1d')).toBe(86_400_000);
    for (const bad of [0, -1, 99, 1.5, '99ms', '10 minutes', '', '1w', Number.NaN, null]) {
      expect(() => parseEvery('every', bad)).toThrow(/Expected `every` to be an interval/);
    }
  });
});
