import { expect, test } from 'vitest';
import { ValidationError } from '../../src/index.js';
import { MAX_JSON_DEPTH, serializeJson } from '../../src/kernel/json-value.js';

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
  ['a NUL character in a key', { 'a\u0000': 1 }, 'payload["a\\u0000"]'],
  ['a lone surrogate', ['\uD800x'], 'payload[0]'],
  ['a lone high surrogate at the end', { s: 'ok\uD83D' }, 'payload.s'],
  ['a lone low surrogate first', { s: '\uDC00t' }, 'payload.s'],
  ['a low surrogate before a high one', { s: '\uDE80\uD83D' }, 'payload.s'],
  ['a lone surrogate in a deep key', { a: [{ b: { '\uDC00': 1 } }] }, 'payload.a[0].b["\\udc00"]'],
  ['NUL deep in an array', { a: { b: [1, 2, ['x', 'y\u0000']] } }, 'payload.a.b[2][1]'],
  ['a boxed string', { s: new String('x') }, 'payload.s'],
  ['a Buffer', { b: Buffer.from('x') }, 'payload.b'],
  // biome-ignore lint/suspicious/noSparseArray: the hole is what is tested
  ['a hole in an array', { a: [1, , 3] }, 'payload.a[1]'],
  [
    'a class instance with toJSON',
    {
      m: new (class Money {
        toJSON() {
          return '1 EUR';
        }
      })(),
    },
    'payload.m',
  ],
  ['a plain object with a toJSON method', { o: { toJSON: () => 1 } }, 'payload.o'],
  ['an array with a toJSON method', { a: Object.assign([1], { toJSON: () => 'x' }) }, 'payload.a'],
])('rejects %s, naming where it is', (_what, value, field) => {
  expect(rejection(value).field).toBe(field);
});

test('names the first problem in document order', () => {
  expect(rejection({ a: [1, { b: Number.NaN }], c: undefined, d: 'x\u0000' }).field).toBe(
    'payload.a[1].b',
  );
});

test('rejects cycles, naming the reference that closes the loop', () => {
  const cyclic: Record<string, unknown> = { list: [] };
  (cyclic.list as unknown[]).push({ back: cyclic });
  const error = rejection(cyclic);
  expect(error.field).toBe('payload.list[0].back');
  expect(error.message).toContain('without cycles');
  const self: unknown[] = [];
  self.push(self);
  expect(rejection(self).field).toBe('payload[0]');
});

test('accepts a value shared twice without a cycle', () => {
  const shared = { a: 1 };
  expect(serializeJson('payload', [shared, shared], 100)).toBe('[{"a":1},{"a":1}]');
});

function nestedArrays(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

function nestedObjects(levels: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

test(`accepts nesting up to ${MAX_JSON_DEPTH} levels and refuses one more`, () => {
  expect(MAX_JSON_DEPTH).toBe(100);
  expect(serializeJson('payload', nestedArrays(100), 10_000)).toBe(
    `${'['.repeat(100)}1${']'.repeat(100)}`,
  );
  expect(JSON.parse(serializeJson('payload', nestedObjects(100), 10_000))).toEqual(
    nestedObjects(100),
  );
  for (const value of [nestedArrays(101), nestedObjects(101), { x: [nestedObjects(100)] }]) {
    const error = rejection(value);
    expect(error.field).toBe('payload');
    expect(error.message).toBe(
      'Expected `payload` to be nested at most 100 levels deep (arrays and objects), got deeper nesting',
    );
  }
});

test.each([10_000, 100_000, 1_000_000])(
  'refuses %i levels of nesting without overflowing the stack',
  (levels) => {
    for (const value of [nestedArrays(levels), nestedObjects(levels)]) {
      expect(rejection(value, 100_000_000).message).toContain('nested at most 100 levels');
    }
  },
);

test('a cycle longer than the nesting limit is refused as too deep', () => {
  const first: Record<string, unknown> = {};
  let last = first;
  for (let i = 0; i < 150; i++) {
    const next: Record<string, unknown> = {};
    last.next = next;
    last = next;
  }
  last.next = first;
  expect(rejection(first).message).toContain('nested at most 100 levels');
});

test('a value certainly over the size limit is refused before it is serialized', () => {
  // 2^90 leaves: JSON.stringify would never finish.
  let bomb: unknown = 'leaf';
  for (let i = 0; i < 90; i++) bomb = [bomb, bomb];
  const started = performance.now();
  expect(rejection(bomb, 1024 * 1024).message).toBe(
    'Expected `payload` to be at most 1048576 bytes of JSON, got more than 1048576 bytes',
  );
  expect(performance.now() - started).toBeLessThan(1000);
  expect(rejection('x'.repeat(1025), 1024).message).toBe(
    'Expected `payload` to be at most 1024 bytes of JSON, got more than 1024 bytes',
  );
});

test('accepts exactly the size limit', () => {
  expect(serializeJson('payload', 'x'.repeat(1022), 1024)).toHaveLength(1024);
  expect(serializeJson('payload', { [`${'k'.repeat(10)}`]: ['é'] }, 21)).toBe(
    '{"kkkkkkkkkk":["é"]}',
  );
});

test('ignores what JSON ignores: symbol keys and non-enumerable properties', () => {
  const value = { a: 1, [Symbol('s')]: () => 1 };
  Object.defineProperty(value, 'hidden', { value: () => 1, enumerable: false });
  expect(serializeJson('payload', value, 100)).toBe('{"a":1}');
});

test('results and progress are named by their own field', () => {
  let error: unknown;
  try {
    serializeJson('result', { at: nestedArrays(200) }, 10_000);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as ValidationError).field).toBe('result');
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
