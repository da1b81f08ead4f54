import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigurationError, loadQueueOptions } from '../../src/index.js';
import { scratchDir } from '../helpers/scratch-dir.js';

const dir = scratchDir('pgpulse-config');
function yamlFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const file = yamlFile(
  'full.yaml',
  `databaseUrl: postgres://file@db/app
schema: from_file
leaseMs: 1000
maxAttempts: 3
backoff: { type: fixed, delayMs: 250 }
listen: false
pooler: transaction
`,
);

describe('loadQueueOptions', () => {
  test('code wins over the environment, which wins over the file', () => {
    const options = loadQueueOptions(
      { leaseMs: 9000 },
      {
        file,
        env: {
          DATABASE_URL: 'postgres://env@db/app',
          PGPULSE_LEASE_MS: '5000',
          PGPULSE_MAX_ATTEMPTS: '7',
        },
      },
    );
    expect(options).toEqual({
      connectionString: 'postgres://env@db/app',
      schema: 'from_file',
      leaseMs: 9000,
      maxAttempts: 7,
      backoff: { type: 'fixed', delayMs: 250 },
      listen: false,
      pooler: 'transaction',
    });
  });

  test('PGPULSE_DATABASE_URL wins over DATABASE_URL; every variable is read', () => {
    const options = loadQueueOptions(undefined, {
      file: false,
      env: {
        DATABASE_URL: 'postgres://generic/app',
        PGPULSE_DATABASE_URL: 'postgres://specific/app',
        PGPULSE_SCHEMA: 'jobs',
        PGPULSE_POOL_SIZE: '4',
        PGPULSE_BACKOFF: '{"type":"exponential","baseMs":100}',
        PGPULSE_MAX_PAYLOAD_BYTES: '1000',
        PGPULSE_ERROR_HISTORY: '3',
        PGPULSE_WORKER_ID: 'w1',
        PGPULSE_LISTEN: 'off',
        PGPULSE_LISTEN_DATABASE_URL: 'postgres://direct/app',
        PGPULSE_POOLER: 'session',
      },
    });
    expect(options).toEqual({
      connectionString: 'postgres://specific/app',
      schema: 'jobs',
      poolSize: 4,
      backoff: { type: 'exponential', baseMs: 100 },
      maxPayloadBytes: 1000,
      errorHistory: 3,
      workerId: 'w1',
      listen: false,
      listenConnectionString: 'postgres://direct/app',
      pooler: 'session',
    });
  });

  test('PGPULSE_CONFIG names the file; a pool in code drops the connection strings of others', () => {
    const pool = { query() {}, connect() {} } as never;
    const options = loadQueueOptions({ pool }, { env: { PGPULSE_CONFIG: file } });
    expect(options.connectionString).toBeUndefined();
    expect(options.pool).toBe(pool);
    expect(options.schema).toBe('from_file');
  });

  test.each([
    [{ PGPULSE_LEASE_MS: 'soon' }, /`PGPULSE_LEASE_MS` to be an integer, got `"soon"`/],
    [{ PGPULSE_LEASE_MS: '-5' }, /`leaseMs`.*\(set by PGPULSE_LEASE_MS\)/],
    [{ PGPULSE_LISTEN: 'maybe' }, /`PGPULSE_LISTEN` to be true or false/],
    [{ PGPULSE_BACKOFF: '{nope' }, /`PGPULSE_BACKOFF` to be JSON/],
    [{ PGPULSE_SCHEMA: 'Bad-Name' }, /schema.*\(set by PGPULSE_SCHEMA\)/i],
    [
      { PGPULSE_POOLER: 'pgbouncer' },
      /`pooler` to be 'none', 'session' or 'transaction', got `"pgbouncer"` \(set by PGPULSE_POOLER\)/,
    ],
  ])('a bad variable is named: %o', (env, message) => {
    const error = (() => {
      try {
        loadQueueOptions({}, { file: false, env: { DATABASE_URL: 'postgres://x/y', ...env } });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(message);
  });

  test('a bad file is named, with the key at fault', () => {
    const unknownKey = yamlFile('unknown.yaml', 'databaseUrl: postgres://x/y\nleaseTime: 5\n');
    expect(() => loadQueueOptions({}, { file: unknownKey, env: {} })).toThrow(/unknown\.yaml/);
    const badValue = yamlFile('bad.yaml', 'databaseUrl: postgres://x/y\nleaseMs: 0\n');
    expect(() => loadQueueOptions({}, { file: badValue, env: {} })).toThrow(
      /`leaseMs`.*\(set by leaseMs in .*bad\.yaml\)/,
    );
    const wrongType = yamlFile('type.yaml', 'databaseUrl: 5\n');
    expect(() => loadQueueOptions({}, { file: wrongType, env: {} })).toThrow(
      /databaseUrl.*a string/,
    );
    const notYaml = yamlFile('broken.yaml', 'leaseMs: [1,\n');
    expect(() => loadQueueOptions({}, { file: notYaml, env: {} })).toThrow(/not valid YAML/);
    expect(() => loadQueueOptions({}, { file: join(dir, 'missing.yaml'), env: {} })).toThrow(
      /Cannot read the config file/,
    );
  });

  test('no database anywhere is one clear error; a missing default file is no error', () => {
    expect(() => loadQueueOptions({}, { env: {} })).toThrow(/No database to connect to/);
  });

  test('never shows a connection string in an error', () => {
    try {
      loadQueueOptions(
        {},
        { file: false, env: { DATABASE_URL: 'postgres://u:secret@h/d', PGPULSE_POOL_SIZE: '0' } },
      );
    } catch (error) {
      expect((error as Error).message).not.toContain('secret');
    }
  });
});
