import { describe, expect, test } from 'vitest';
import {
  JobCancelledError,
  JobNotFoundError,
  LeaseLostError,
  NonRetryableError,
} from '../../src/index.js';
import { toErrorRecord } from '../../src/kernel/error-record.js';
import { inInputOrder, refusal } from '../../src/lease/fencing.js';
import { isRetryable } from '../../src/settle/outcome.js';

describe('refusal', () => {
  test('names why a fenced call was refused', () => {
    expect(refusal('j', null)).toBeInstanceOf(JobNotFoundError);
    expect(refusal('j', 'cancelled')).toBeInstanceOf(JobCancelledError);
    expect(refusal('j', 'pending')).toBeInstanceOf(LeaseLostError);
    expect(refusal('j', 'running')).toBeInstanceOf(LeaseLostError);
    expect((refusal('j', 'completed') as LeaseLostError).state).toBe('completed');
  });
});

describe('isRetryable', () => {
  test('a NonRetryableError is never retried; otherwise the caller decides, default yes', () => {
    expect(isRetryable(new Error('x'))).toBe(true);
    expect(isRetryable(new Error('x'), false)).toBe(false);
    expect(isRetryable(new NonRetryableError('bad input'))).toBe(false);
    expect(isRetryable(new NonRetryableError('bad input'), true)).toBe(false);
  });
});

describe('toErrorRecord', () => {
  test('keeps name, message, code and stack of an Error', () => {
    const error = Object.assign(new TypeError('boom'), { code: 'E_BOOM' });
    expect(toErrorRecord(error, true)).toMatchObject({
      name: 'TypeError',
      message: 'boom',
      code: 'E_BOOM',
      retryable: true,
    });
    expect(toErrorRecord(error, true).stack).toContain('boom');
  });

  test('describes things thrown that are not errors', () => {
    expect(toErrorRecord('plain string', false)).toEqual({
      name: 'NonError',
      message: 'plain string',
      retryable: false,
    });
    expect(toErrorRecord({ reason: 42 }, true).message).toBe('{"reason":42}');
    expect(toErrorRecord(undefined, true).message).toBe('undefined');
  });

  test('makes any message storable: truncated, no NUL, no lone surrogate', () => {
    const record = toErrorRecord(new Error(`a\u0000b\uD800${'x'.repeat(5000)}`), true);
    expect(record.message.length).toBeLessThanOrEqual(2001);
    expect(record.message.startsWith('a\uFFFDb\uFFFDx')).toBe(true);
    const split = toErrorRecord(new Error(`${'x'.repeat(1999)}🚀`), true);
    expect(split.message.endsWith('\uFFFD…')).toBe(true);
  });

  test('every text of the record is storable: name, code and stack too', () => {
    const error = Object.assign(new Error('lone \uDC00'), { code: 'E\u0000X' });
    error.name = 'Bad\uD800Name';
    error.stack = 'at \u0000';
    expect(toErrorRecord(error, true)).toMatchObject({
      name: 'Bad\uFFFDName',
      message: 'lone \uFFFD',
      code: 'E\uFFFDX',
      stack: 'at \uFFFD',
    });
  });

  test('never throws, whatever was thrown', () => {
    const odd = new Error('x');
    Object.defineProperty(odd, 'message', {
      get() {
        throw new Error('getter');
      },
    });
    Object.defineProperty(odd, 'name', { value: 42 });
    expect(toErrorRecord(odd, true)).toMatchObject({ name: '42', message: '' });

    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(toErrorRecord(deep, true).message).toBe('[object Array]');

    const cyclic = Object.create(null) as Record<string, unknown>;
    cyclic.self = cyclic;
    expect(toErrorRecord(cyclic, true).message).toBe('[object Object]');
    expect(toErrorRecord(10n, true).message).toBe('10');
    expect(toErrorRecord(['\uD800'], true).message).toBe('["\\ud800"]');
  });
});

test('inInputOrder matches rows back by id', () => {
  const rows = [{ id: 'b' }, { id: 'a' }];
  expect(inInputOrder(['a', 'b'], rows)).toEqual([{ id: 'a' }, { id: 'b' }]);
  expect(() => inInputOrder(['c'], rows)).toThrow('no row for job c');
});
