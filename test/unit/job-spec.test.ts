import { describe, expect, test } from 'vitest';
import { ValidationError } from '../../src/index.js';
import { newJobIds, resolveBatch, resolveJobSpec } from '../../src/produce/job-spec.js';
import { toSendColumns } from '../../src/produce/send-columns.js';

const defaults = { maxPayloadBytes: 1024 };

function fieldOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).field;
  }
  throw new Error('expected a ValidationError');
}

describe('resolveJobSpec', () => {
  test('fills in defaults', () => {
    const spec = resolveJobSpec('', { a: 1 }, undefined, defaults);
    expect(spec).toMatchObject({
      name: 'default',
      payloadJson: '{"a":1}',
      priority: 0,
      runAt: null,
      delayMs: null,
      maxAttempts: null, // the queue's stored default, else the client's: decided in SQL
      backoff: null,
      idempotencyKey: null,
      keyRetained: false,
      tenant: null,
    });
    expect(spec.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('ids are time-ordered (UUIDv7) so inserts append to the primary key index', () => {
    const ids = Array.from({ length: 50 }, () => resolveJobSpec('', 1, {}, defaults).id);
    expect([...ids].sort()).toEqual(ids);
    expect(ids[0]?.[14]).toBe('7');
  });

  test('keeps every option given', () => {
    const runAt = new Date('2030-01-01T00:00:00.000Z');
    const spec = resolveJobSpec(
      '',
      null,
      {
        name: 'welcome-email',
        runAt,
        priority: -5,
        maxAttempts: 3,
        backoff: { type: 'fixed', delayMs: 100 },
        idempotencyKey: 'user-42',
        tenant: 'acme',
      },
      defaults,
    );
    expect(spec).toMatchObject({
      name: 'welcome-email',
      runAt: '2030-01-01T00:00:00.000Z',
      priority: -5,
      maxAttempts: 3,
      backoff: { type: 'fixed', delayMs: 100, jitter: 0 },
      idempotencyKey: 'user-42',
      tenant: 'acme',
    });
  });

  test('the message says what was expected and what came', () => {
    expect(() => resolveJobSpec('', {}, { delayMs: -1 }, defaults)).toThrow(
      'Expected `delayMs` to be an integer from 0 to 2592000000, got `-1`',
    );
  });

  test.each<[unknown, string]>([
    [{ delayMs: -1 }, 'delayMs'],
    [{ delayMs: 1.5 }, 'delayMs'],
    [{ delayMs: '10' }, 'delayMs'],
    [{ runAt: new Date('nope') }, 'runAt'],
    [{ runAt: '2030-01-01' }, 'runAt'],
    [{ runAt: new Date(), delayMs: 5 }, 'delayMs'],
    [{ priority: 40_000 }, 'priority'],
    [{ priority: 0.5 }, 'priority'],
    [{ maxAttempts: 0 }, 'maxAttempts'],
    [{ name: 'has space' }, 'name'],
    [{ name: '' }, 'name'],
    [{ idempotencyKey: '' }, 'idempotencyKey'],
    [{ idempotencyKey: 'a\u0000b' }, 'idempotencyKey'],
    [{ tenant: 'x'.repeat(257) }, 'tenant'],
    [{ tenant: '\uDC00t' }, 'tenant'],
    [{ tenant: 'a\uD800' }, 'tenant'],
    [{ tenant: 'a\u0000' }, 'tenant'],
    [{ idempotencyKey: '\uD800' }, 'idempotencyKey'],
    [{ name: 'n\u0000' }, 'name'],
    [{ name: 'n\uD800' }, 'name'],
    [{ runAt: new Date(8.64e15) }, 'runAt'],
    [{ runAt: new Date(-8.64e15) }, 'runAt'],
    [{ runAt: new Date('0000-01-01T00:00:00.000Z') }, 'runAt'],
    [{ runAt: new Date(Date.parse('0001-01-01T00:00:00.000Z') - 1) }, 'runAt'],
    [{ runAt: new Date(Date.parse('+010000-01-01T00:00:00.000Z')) }, 'runAt'],
    [{ runAt: 1_900_000_000_000 }, 'runAt'],
    [{ delayMs: Number.NaN }, 'delayMs'],
    [{ delayMs: Number.POSITIVE_INFINITY }, 'delayMs'],
    [{ delayMs: Number.NEGATIVE_INFINITY }, 'delayMs'],
    [{ delayMs: 30 * 86_400_000 + 1 }, 'delayMs'],
    [{ delayMs: 1e300 }, 'delayMs'],
    [{ delay: 100 }, 'options'],
    ['soon', 'options'],
  ])('rejects %j naming %s', (options, field) => {
    expect(fieldOf(() => resolveJobSpec('', {}, options, defaults))).toBe(field);
  });

  test('batch items are named by index', () => {
    expect(fieldOf(() => resolveJobSpec('items[3]', () => 1, {}, defaults))).toBe(
      'items[3].payload',
    );
    expect(fieldOf(() => resolveJobSpec('items[0]', {}, { delayMs: -5 }, defaults))).toBe(
      'items[0].delayMs',
    );
  });

  test('runAt: years 1 to 9999, a past date is due at once', () => {
    for (const iso of [
      '0001-01-01T00:00:00.000Z',
      '1969-07-20T20:17:40.000Z',
      '9999-12-31T23:59:59.999Z',
    ]) {
      expect(resolveJobSpec('', {}, { runAt: new Date(iso) }, defaults).runAt).toBe(iso);
    }
    expect(() => resolveJobSpec('', {}, { runAt: new Date(8.64e15) }, defaults)).toThrow(
      'Expected `runAt` to be a valid Date from 0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z, got `a Date +275760-09-13T00:00:00.000Z`',
    );
  });

  test('delayMs: an integer from 0 to 30 days', () => {
    expect(resolveJobSpec('', {}, { delayMs: 0 }, defaults).delayMs).toBe(0);
    expect(resolveJobSpec('', {}, { delayMs: 30 * 86_400_000 }, defaults).delayMs).toBe(
      2_592_000_000,
    );
    expect(fieldOf(() => resolveJobSpec('', {}, { delayMs: 10n }, defaults))).toBe('delayMs');
  });

  test('a payload over the size limit is refused', () => {
    expect(fieldOf(() => resolveJobSpec('', 'x'.repeat(2000), {}, defaults))).toBe('payload');
  });
});

describe('resolveBatch', () => {
  test.each<[string, Record<string, unknown>]>([
    ['items[2].runAt', { runAt: new Date(-8.64e15) }],
    ['items[2].tenant', { tenant: '\uDC00t' }],
    ['items[2].idempotencyKey', { idempotencyKey: 'k\u0000' }],
    ['items[2].payload.a.b', { payload: { a: { b: 'x\uD800' } } }],
  ])('one bad item refuses the batch, naming %s', (field, bad) => {
    const items = [{ payload: 1 }, { payload: 2 }, { payload: 3, ...bad }];
    expect(fieldOf(() => resolveBatch(items, defaults))).toBe(field);
  });

  test('a too-deep payload in a batch names the item', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    expect(fieldOf(() => resolveBatch([{ payload: 1 }, { payload: deep }], defaults))).toBe(
      'items[1].payload',
    );
  });
});

describe('toSendColumns', () => {
  test('gives the ids, the payloads embedded as JSON (not as strings) and the options, aligned', () => {
    const specs = [
      resolveJobSpec('', { deep: { list: [1, 'two', null] } }, { tenant: 't' }, defaults),
      resolveJobSpec('', 'plain "string"', { delayMs: 10 }, defaults),
      resolveJobSpec('', null, undefined, defaults),
    ];
    const columns = toSendColumns(specs);
    expect(columns.ids).toBe(`{${specs.map((s) => s.id).join(',')}}`);
    expect(JSON.parse(columns.payloads)).toEqual([
      { deep: { list: [1, 'two', null] } },
      'plain "string"',
      null,
    ]);
    expect(JSON.parse(columns.options)).toEqual([{ tenant: 't' }, { delay_ms: 10 }, {}]);
  });

  test('leaves defaults out: no options at all is an empty array (the statement fills them in)', () => {
    const columns = toSendColumns([resolveJobSpec('', { a: 1 }, undefined, defaults)]);
    expect(columns.options).toBe('[]');
    expect(JSON.parse(columns.payloads)).toEqual([{ a: 1 }]);
  });
});

describe('newJobIds', () => {
  test('gives unique, time-ordered ids for a whole batch from one random draw', () => {
    const ids = newJobIds(1000);
    expect(new Set(ids).size).toBe(1000);
    expect([...ids].sort()).toEqual(ids);
    expect(
      ids.every((id) =>
        /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id),
      ),
    ).toBe(true);
  });

  test('two batches never share an id', () => {
    const a = newJobIds(500);
    const b = newJobIds(500);
    expect(new Set([...a, ...b]).size).toBe(1000);
  });

  test('an empty batch has no ids', () => {
    expect(newJobIds(0)).toEqual([]);
  });
});
