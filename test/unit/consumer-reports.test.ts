import { describe, expect, test } from 'vitest';
import { ConsumerReports } from '../../src/consume/reports.js';
import type { Context, SettledJob } from '../../src/db/context.js';
import type { ClaimedJob } from '../../src/index.js';
import { resolveLogger } from '../../src/kernel/logger.js';

function reports() {
  const observers = new Set<(job: SettledJob) => void>();
  const logger = resolveLogger({ warn: () => undefined, error: () => undefined });
  const ctx = { observers, options: { logger } } as unknown as Context;
  return { observers, reports: new ConsumerReports(ctx, 'q', { logOutcomes: true }) };
}

const job = { id: 'j', queue: 'q', name: 'default', attempts: 1, maxAttempts: 5 } as ClaimedJob;

// A completed job is the hot path: nobody listening must mean no report is built for it.
describe('what a consumer reports, and when it builds nothing', () => {
  test('nobody listening: no report of a completion or release is wanted', () => {
    const { reports: r } = reports();
    expect(r.wants('completed')).toBe(false);
    expect(r.wants('released')).toBe(false);
  });

  test('listening to other types does not make completions wanted', () => {
    const { reports: r } = reports();
    r.on('error', () => undefined);
    r.on('dead', () => undefined);
    expect(r.wants('completed')).toBe(false);
  });

  test('completions are wanted while someone listens to them, or to everything, or metrics run', () => {
    const { reports: r, observers } = reports();
    const off = r.on('completed', () => undefined);
    expect(r.wants('completed')).toBe(true);
    off();
    expect(r.wants('completed')).toBe(false);
    const all = r.events.subscribe();
    expect(r.wants('completed')).toBe(true);
    all.unsubscribe();
    const metric = () => undefined;
    observers.add(metric);
    expect(r.wants('completed')).toBe(true);
    expect(r.wants('released')).toBe(true);
  });

  test('a failure always is (it is logged), and becomes failed then retried or dead events', () => {
    const { reports: r } = reports();
    expect(r.wants('failed')).toBe(true);
    const types: string[] = [];
    r.events.subscribe((event) => types.push(event.type));
    const runAt = new Date();
    r.settled({
      kind: 'failed',
      job,
      error: new Error('x'),
      state: 'pending',
      runAt,
      durationMs: 1,
    });
    r.settled({ kind: 'failed', job, error: new Error('x'), state: 'dead', runAt, durationMs: 1 });
    expect(types).toEqual(['failed', 'retried', 'failed', 'dead']);
  });
});
