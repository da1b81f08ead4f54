import { describe, expect, test } from 'vitest';
import { DEFAULT_BACKOFF, resolveBackoff } from '../../src/config/backoff.js';
import { ValidationError } from '../../src/index.js';
import type { BackoffPolicy } from '../../src/kernel/types.js';
import { backoffDelayMs, effectiveBackoff } from '../../src/settle/backoff.js';

const noJitter = () => 0;

describe('backoffDelayMs', () => {
  test('exponential doubles from the base and stops at the cap', () => {
    const policy = resolveBackoff('backoff', {
      type: 'exponential',
      baseMs: 1000,
      maxMs: 10_000,
      jitter: 0,
    });
    const delays = [1, 2, 3, 4, 5, 6].map((attempt) => backoffDelayMs(policy, attempt, noJitter));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  test('exponential honours a custom factor', () => {
    const policy = resolveBackoff('backoff', {
      type: 'exponential',
      baseMs: 100,
      factor: 3,
      jitter: 0,
    });
    expect([1, 2, 3].map((attempt) => backoffDelayMs(policy, attempt, noJitter))).toEqual([
      100, 300, 900,
    ]);
  });

  test('fixed waits the same every time', () => {
    const policy = resolveBackoff('backoff', { type: 'fixed', delayMs: 750 });
    expect([1, 5, 50].map((attempt) => backoffDelayMs(policy, attempt, noJitter))).toEqual([
      750, 750, 750,
    ]);
  });

  test('jitter takes a random fraction off, never more than the jitter share', () => {
    const policy = resolveBackoff('backoff', { type: 'fixed', delayMs: 1000, jitter: 0.25 });
    expect(backoffDelayMs(policy, 1, () => 0)).toBe(1000);
    expect(backoffDelayMs(policy, 1, () => 0.5)).toBe(875);
    expect(backoffDelayMs(policy, 1, () => 0.999_999)).toBe(750);
  });

  test('huge attempt numbers stay at the cap instead of overflowing', () => {
    expect(backoffDelayMs(DEFAULT_BACKOFF, 10_000, noJitter)).toBe(DEFAULT_BACKOFF.maxMs);
  });

  test('the default policy starts at one second', () => {
    expect(backoffDelayMs(DEFAULT_BACKOFF, 1, noJitter)).toBe(1000);
    expect(backoffDelayMs(DEFAULT_BACKOFF, 2, noJitter)).toBe(2000);
  });
});

describe('resolveBackoff', () => {
  test('fills in defaults', () => {
    expect(resolveBackoff('backoff', { type: 'exponential', baseMs: 500 })).toEqual({
      type: 'exponential',
      baseMs: 500,
      factor: 2,
      maxMs: 3_600_000,
      jitter: 0.2,
    });
    expect(resolveBackoff('backoff', { type: 'fixed', delayMs: 10 })).toEqual({
      type: 'fixed',
      delayMs: 10,
      jitter: 0,
    });
  });

  test.each<[unknown, string]>([
    [{ type: 'fixed', delayMs: -1 }, 'backoff.delayMs'],
    [{ type: 'fixed', delayMs: 1.5 }, 'backoff.delayMs'],
    [{ type: 'exponential', baseMs: 0 }, 'backoff.baseMs'],
    [{ type: 'exponential', baseMs: 1000, maxMs: 10 }, 'backoff.maxMs'],
    [{ type: 'exponential', baseMs: 1000, jitter: 2 }, 'backoff.jitter'],
    [{ type: 'exponential', baseMs: 1000, factor: 0.5 }, 'backoff.factor'],
    [{ type: 'linear' }, 'backoff.type'],
    [{ type: 'fixed', delayMs: 5, delay: 5 }, 'backoff'],
    ['exponential', 'backoff'],
    [null, 'backoff'],
  ])('rejects %j naming %s', (policy, field) => {
    const attempt = () => resolveBackoff('backoff', policy);
    expect(attempt).toThrow(ValidationError);
    try {
      attempt();
    } catch (error) {
      expect((error as ValidationError).field).toBe(field);
    }
  });

  test('a stored policy that is not valid falls back instead of breaking the retry', () => {
    const garbage = { type: 'exponential', baseMs: 'soon' } as unknown as BackoffPolicy;
    expect(effectiveBackoff(garbage, DEFAULT_BACKOFF)).toBe(DEFAULT_BACKOFF);
    expect(effectiveBackoff(null, DEFAULT_BACKOFF)).toBe(DEFAULT_BACKOFF);
    expect(effectiveBackoff({ type: 'fixed', delayMs: 5 }, DEFAULT_BACKOFF)).toEqual({
      type: 'fixed',
      delayMs: 5,
      jitter: 0,
    });
  });
});
