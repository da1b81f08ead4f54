import pg from 'pg';
import { describe, expect, test } from 'vitest';
import { resolveQueueOptions } from '../../src/config/options.js';
import { checkSchemaName } from '../../src/config/schema-name.js';
import { resolveWorkOptions } from '../../src/consume/options.js';
import { ownPoolConnection } from '../../src/db/pool.js';
import { poolerHint } from '../../src/db/pooler.js';
import { renderSql } from '../../src/db/render-sql.js';
import { ConfigurationError, DEFAULT_BACKOFF } from '../../src/index.js';
import { channelsFor } from '../../src/notify/channels.js';

const url = 'postgres://user:s3cret@localhost/db';

describe('resolveQueueOptions', () => {
  test('fills in defaults and freezes the result', () => {
    const options = resolveQueueOptions({ connectionString: url });
    expect(options).toMatchObject({
      schema: 'pgpulse',
      leaseMs: 30_000,
      maxAttempts: 5,
      backoff: DEFAULT_BACKOFF,
      maxPayloadBytes: 1024 * 1024,
      errorHistory: 20,
      connection: { kind: 'url', connectionString: url, poolSize: 10 },
      pooler: 'none',
    });
    expect(options.workerId).toMatch(/:\d+:[0-9a-f]{6}$/);
    expect(Object.isFrozen(options)).toBe(true);
  });

  test('takes an existing pool', () => {
    const pool = new pg.Pool();
    expect(resolveQueueOptions({ pool }).connection).toEqual({ kind: 'pool', pool });
  });

  test('a bad value fails with one message shape', () => {
    expect(() => resolveQueueOptions({ connectionString: url, leaseMs: -1 })).toThrow(
      new ConfigurationError('Expected `leaseMs` to be an integer from 1 to 2592000000, got `-1`', {
        field: 'leaseMs',
      }),
    );
  });

  test.each<[string, Record<string, unknown>]>([
    ['no connection', {}],
    ['two connections', { connectionString: url, pool: new pg.Pool() }],
    ['an empty connection string', { connectionString: '' }],
    ['a pool that is not one', { pool: { query: 1 } }],
    ['poolSize with a pool', { pool: new pg.Pool(), poolSize: 3 }],
    ['an unknown option', { connectionString: url, lease: 5 }],
    ['a zero maxAttempts', { connectionString: url, maxAttempts: 0 }],
    ['a bad backoff', { connectionString: url, backoff: { type: 'never' } }],
    ['a workerId with a newline', { connectionString: url, workerId: 'a\nb' }],
    ['a logger without warn', { connectionString: url, logger: {} }],
    ['an unknown pooler mode', { connectionString: url, pooler: 'pgbouncer' }],
  ])('rejects %s with a ConfigurationError', (_what, options) => {
    expect(() => resolveQueueOptions(options)).toThrow(ConfigurationError);
  });

  test('never echoes a connection string, which may hold a password', () => {
    try {
      resolveQueueOptions({ connectionString: url, pool: new pg.Pool() });
    } catch (error) {
      expect((error as Error).message).not.toContain('s3cret');
      return;
    }
    throw new Error('expected a ConfigurationError');
  });
});

describe('behind a pooler', () => {
  test('a pool the queue makes sets plan_cache_mode at start-up only on a direct connection', () => {
    const options = new URL(
      ownPoolConnection(`${url}?options=-c%20a%3Db`).connectionString,
    ).searchParams.get('options');
    expect(options).toBe('-c a=b -c plan_cache_mode=force_generic_plan');
    expect(ownPoolConnection('/var/run/postgresql')).toEqual({
      connectionString: '/var/run/postgresql',
      options: '-c plan_cache_mode=force_generic_plan',
    });
    // PgBouncer refuses startup options it does not know (unless told to drop them).
    for (const pooler of ['session', 'transaction'] as const) {
      expect(ownPoolConnection(url, pooler)).toEqual({ connectionString: url });
    }
  });

  const failure = (code: string) => Object.assign(new Error('from the server'), { code });

  test.each([
    ['26000', 'none', true],
    ['42P05', 'session', true],
    ['26000', 'transaction', false],
    ['42P01', 'none', false],
  ] as const)('SQLSTATE %s with pooler %s: hint %s', (code, pooler, hinted) => {
    const hint = poolerHint(failure(code), { pooler, startupOptions: false });
    if (hinted) expect(hint).toContain("set pooler: 'transaction'");
    else expect(hint).toBeUndefined();
  });

  test('a protocol violation hints at the startup options only where the queue sends them', () => {
    expect(poolerHint(failure('08P01'), { pooler: 'none', startupOptions: true })).toContain(
      "set pooler: 'transaction'",
    );
    expect(poolerHint(failure('08P01'), { pooler: 'none', startupOptions: false })).toBeUndefined();
    expect(
      poolerHint(new Error('no code'), { pooler: 'none', startupOptions: true }),
    ).toBeUndefined();
  });
});

describe('schema names', () => {
  test.each(['pgpulse', 'jobs_2', '_private', 'a'.repeat(48)])('accepts %s', (name) => {
    expect(checkSchemaName(name)).toBe(name);
  });

  test.each([
    'x"; DROP TABLE users; --',
    'public.jobs',
    'Pgpulse',
    '1jobs',
    '',
    'a'.repeat(49),
    'pg_catalog',
    'with space',
    'semi;colon',
    "quote'",
    'ünïcode',
    42,
    null,
  ])('refuses %j with a ConfigurationError', (name) => {
    expect(() => checkSchemaName(name)).toThrow(ConfigurationError);
  });

  test('channels and SQL are derived from the schema name', () => {
    expect(channelsFor('tenant_a')).toEqual({
      jobs: 'tenant_a.jobs',
      events: 'tenant_a.events',
    });
    expect(renderSql("SELECT * FROM {{schema}}.jobs -- '{{schema_name}}.jobs'", 'tenant_a')).toBe(
      `SELECT * FROM "tenant_a".jobs -- 'tenant_a.jobs'`,
    );
  });
});

describe('resolveWorkOptions', () => {
  const queue = resolveQueueOptions({ connectionString: url });

  test('a claim takes what can start, plus what may be held ahead (prefetch), at most 100', () => {
    expect(resolveWorkOptions({ concurrency: 4 }, queue)).toMatchObject({
      prefetch: 0,
      claim: { batchSize: 4 },
    });
    expect(resolveWorkOptions({ concurrency: 4, prefetch: 12 }, queue)).toMatchObject({
      prefetch: 12,
      claim: { batchSize: 16 },
    });
    expect(resolveWorkOptions({ concurrency: 50, prefetch: 500 }, queue).claim.batchSize).toBe(100);
    expect(
      resolveWorkOptions({ concurrency: 4, prefetch: 12, claimBatchSize: 2 }, queue).claim
        .batchSize,
    ).toBe(2);
  });
});
