import { describe, expect, test } from 'vitest';
import { ConfigurationError, ValidationError } from '../../src/index.js';
import {
  checkDate,
  checkIdentifier,
  checkName,
  isStorableText,
  MAX_DATE_MS,
  MIN_DATE_MS,
  toStorableText,
} from '../../src/kernel/validate.js';

describe('isStorableText', () => {
  test.each([
    '',
    'plain',
    'Grüße',
    '日本語',
    '🚀',
    'a🚀b',
    '\uFFFD',
    '\uD83D\uDE80', // a pair written with escapes is still a pair
    'tab\tand\nnewline', // control characters other than NUL are stored as they are
  ])('accepts %j', (text) => {
    expect(isStorableText(text)).toBe(true);
  });

  test.each([
    '\u0000',
    'a\u0000b',
    '\uD800',
    '\uDC00t',
    'x\uDBFF',
    '\uDE80\uD83D', // low then high: two lone surrogates
    '🚀\uD800',
  ])('refuses %j', (text) => {
    expect(isStorableText(text)).toBe(false);
  });
});

describe('toStorableText', () => {
  test('leaves storable text alone (the same string)', () => {
    const text = 'hello 🚀';
    expect(toStorableText(text)).toBe(text);
  });

  test('replaces NUL and each lone surrogate with U+FFFD, keeping pairs', () => {
    expect(toStorableText('a\u0000b')).toBe('a\uFFFDb');
    expect(toStorableText('\uDC00t\uD800')).toBe('\uFFFDt\uFFFD');
    expect(toStorableText('🚀\uD83D')).toBe('🚀\uFFFD');
    expect(isStorableText(toStorableText('\uD800\u0000\uDC00'))).toBe(true);
  });
});

describe('checkIdentifier', () => {
  test.each(['\uDC00t', 'a\uD800', 'a\u0000b', 'a\u001fb', 'a\u007fb', '', 'x'.repeat(11)])(
    'refuses %j, naming the field',
    (value) => {
      try {
        checkIdentifier('tenant', value, 10);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).field).toBe('tenant');
        expect((error as ValidationError).message).toContain(
          'a string of 1 to 10 characters without control characters or lone surrogates',
        );
      }
    },
  );

  test('accepts any other text, emoji and non-Latin scripts included', () => {
    for (const value of ['acme', 'Grüße GmbH', '🚀 team', '日本']) {
      expect(checkIdentifier('tenant', value, 10)).toBe(value);
    }
  });

  test('options of a queue or worker fail with ConfigurationError', () => {
    expect(() => checkIdentifier('workerId', 'w\uD800', 128, 'configuration')).toThrow(
      ConfigurationError,
    );
  });
});

test('names (queues, job types) are letters, digits and `_ . : -` only', () => {
  for (const value of ['q\u0000', 'q\uD800', '\uDC00q', 'ünïcode']) {
    expect(() => checkName('queue', value)).toThrow(ValidationError);
  }
});

describe('checkDate', () => {
  test('accepts years 1 to 9999, as a copy', () => {
    expect(new Date(MIN_DATE_MS).toISOString()).toBe('0001-01-01T00:00:00.000Z');
    expect(new Date(MAX_DATE_MS).toISOString()).toBe('9999-12-31T23:59:59.999Z');
    const given = new Date(0);
    const checked = checkDate('runAt', given);
    expect(checked).toEqual(given);
    expect(checked).not.toBe(given);
    expect(checkDate('runAt', new Date(MIN_DATE_MS)).getTime()).toBe(MIN_DATE_MS);
    expect(checkDate('runAt', new Date(MAX_DATE_MS)).getTime()).toBe(MAX_DATE_MS);
  });

  test.each<[string, unknown]>([
    ['the largest Date', new Date(8.64e15)],
    ['the smallest Date', new Date(-8.64e15)],
    ['year 0', new Date('0000-01-01T00:00:00.000Z')],
    ['a negative year', new Date('-000001-06-01T00:00:00.000Z')],
    ['just before year 1', new Date(MIN_DATE_MS - 1)],
    ['year 10000', new Date(MAX_DATE_MS + 1)],
    ['an invalid Date', new Date('nope')],
    ['a number', 0],
    ['a string', '2030-01-01T00:00:00Z'],
    ['null', null],
  ])('refuses %s', (_what, value) => {
    expect(() => checkDate('items[2].runAt', value)).toThrow(
      expect.objectContaining({ field: 'items[2].runAt', code: 'PGPULSE_VALIDATION' }),
    );
  });

  test('a Date subclass cannot change what is written', () => {
    class Sneaky extends Date {
      override toISOString(): string {
        return '","tenant":"x';
      }
    }
    expect(checkDate('runAt', new Sneaky(0)).toISOString()).toBe('1970-01-01T00:00:00.000Z');
  });
});
