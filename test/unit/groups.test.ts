import { describe, expect, test } from 'vitest';
import { type ExplainRow, explainFindings } from '../../src/admin/explain.js';
import { resolveGroupDefaults, resolveGroupOverride } from '../../src/admin/group-settings.js';
import { ValidationError } from '../../src/index.js';

describe('group settings', () => {
  test('become the columns of queue_save and group_save, only those given', () => {
    expect(resolveGroupDefaults({ concurrencyLimit: 2, fifo: true })).toEqual({
      group_concurrency_limit: 2,
      group_fifo: true,
    });
    expect(resolveGroupDefaults({ rateLimit: { count: 5, periodMs: 1000 } })).toEqual({
      group_rate_limit: 5,
      group_rate_period_ms: 1000,
    });
    expect(resolveGroupDefaults(null)).toMatchObject({
      group_concurrency_limit: null,
      group_fifo: false,
    });
    expect(resolveGroupOverride({ concurrencyLimit: null })).toEqual({ concurrency_limit: null });
  });

  test.each([
    [{ concurrencyLimit: 0 }],
    [{ concurrencyLimit: 1_000_001 }],
    [{ rateLimit: {} }],
    [{ rateLimit: { count: 1, periodMs: -1 } }],
    [{ fifo: 1 }],
    ['2'],
  ])('refuse %j', (value) => {
    expect(() => resolveGroupDefaults(value)).toThrow(ValidationError);
    expect(() => resolveGroupOverride(value)).toThrow(ValidationError);
  });
});

const pending: ExplainRow = {
  id: 'j',
  queue: 'q',
  state: 'pending',
  run_at: new Date(0),
  tenant: 'acme',
  worker_id: null,
  lease_expires_at: null,
  db_now_ms: '1000',
  paused: false,
  concurrency_limit: null,
  fair: true,
  rate_limit: null,
  rate_period_ms: null,
  queue_tokens: null,
  queue_running: '0',
  queue_running_ids: [],
  grouped: true,
  group_concurrency_limit: 2,
  group_rate_limit: 1,
  group_rate_period_ms: 1000,
  group_fifo: false,
  group_tokens: 0.5,
  group_running: '2',
  group_running_ids: ['a', 'b'],
  fifo_head: null,
  ahead: '0',
  other_groups_due: false,
  live_workers: '1',
  open_parents: [],
};

describe('explainFindings', () => {
  test('lists every limit that holds a job back, the cap first, with when a token comes', () => {
    const found = explainFindings({ ...pending, paused: true });
    expect(found.map((f) => f.code)).toEqual([
      'queue-paused',
      'group-concurrency',
      'group-rate-limit',
    ]);
    expect(found[1]).toMatchObject({ limit: 2, running: 2, holders: ['a', 'b'] });
    expect(found[2]?.until).toEqual(new Date(1500));
  });

  test('a job of a flow names the parents it waits on', () => {
    const found = explainFindings({ ...pending, state: 'waiting', open_parents: ['p1', 'p2'] });
    expect(found).toEqual([
      expect.objectContaining({ code: 'waiting-on-parents', holders: ['p1', 'p2'] }),
    ]);
  });

  test('a FIFO group names the job before it', () => {
    const found = explainFindings({
      ...pending,
      group_fifo: true,
      group_running: '0',
      fifo_head: 'h',
    });
    expect(found).toEqual([expect.objectContaining({ code: 'group-fifo', holders: ['h'] })]);
  });

  test('nothing holds it back: claimable, or why nobody takes it', () => {
    const free = { ...pending, group_running: '0', group_tokens: 1 };
    expect(explainFindings(free).map((f) => f.code)).toEqual(['claimable']);
    expect(explainFindings({ ...free, live_workers: '0' }).map((f) => f.code)).toEqual([
      'no-worker',
      'claimable',
    ]);
  });
});
