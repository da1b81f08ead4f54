import { expect, test } from 'vitest';
import { ValidationError } from '../../src/index.js';
import { serializeJson } from '../../src/produce/json-value.js';

function rejection(value: unknown, maxBytes = 10_000): ValidationError {
  try {
    serializeJson('payload', value, maxBytes);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

test('accepts every JSON value', () => {
  for (const value of [
    null,
    true,
    0,
    -1.5,
    '',
    'text',
    [],
    {},
    [1, [2, [3]]],
    { a: { b: null } },
  ]) {
    expect(JSON.parse(serializeJson('payload', value, 10_000))).toEqual(value);
  }
  expect(serializeJson('payload', Object.assign(Object.create(null), { a: 1 }), 100)).toBe(
    '{"a":1}',
  );
});

test('leaves out undefined properties, as JSON does', () => {
  expect(serializeJson('payload', { a: 1, b: undefined }, 100)).toBe('{"a":1}');
});

test.each<[string, unknown, string]>([
  ['undefined', undefined, 'payload'],
  ['a function', { run: () => 1 }, 'payload.run'],
  ['a symbol', [Symbol('s')], 'payload[0]'],
  ['a bigint', { n: 10n }, 'payload.n'],
  ['NaN', { n: Number.NaN }, 'payload.n'],
  ['Infinity', [Number.POSITIVE_INFINITY], 'payload[0]'],
  ['a Date', { at: { when: new Date() } }, 'payload.at.when'],
  ['a Map', new Map(), 'payload'],
  ['a class instance', { x: new (class Point {})() }, 'payload.x'],
  ['undefined in an array', [1, undefined], 'payload[1]'],
  ['a NUL character', { s: 'a\u0000b' }, 'payload.s'],
  ['a NUL character in a key', { 'a\u0000': 1 }, 'payload.a\u0000'],
  ['a lone surrogate', ['\uD800x'], 'payload[0]'],
])('rejects %s, naming where it is', (_what, value, field) => {
  expect(rejection(value).field).toBe(field);
});

test('rejects cycles', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  expect(rejection(cyclic).message).toContain('without cycles');
});

test('accepts a value shared twice without a cycle', () => {
  const shared = { a: 1 };
  expect(serializeJson('payload', [shared, shared], 100)).toBe('[{"a":1},{"a":1}]');
});

test('rejects absurd nesting', () => {
  let deep: unknown = 1;
  for (let i = 0; i < 500; i++) deep = [deep];
  expect(rejection(deep).message).toContain('nested at most');
});

test('accepts well-formed surrogate pairs (emoji)', () => {
  expect(serializeJson('payload', '🚀', 100)).toBe('"🚀"');
});

test('counts the size in UTF-8 bytes', () => {
  expect(serializeJson('payload', 'ééé', 8)).toBe('"ééé"');
  expect(rejection('éééé', 8).message).toBe(
    'Expected `payload` to be at most 8 bytes of JSON, got 10 bytes',
  );
});
