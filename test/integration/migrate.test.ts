import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { latestVersion, migrations } from '../../src/db/migrations.js';
import {
  ConfigurationError,
  ErrorCode,
  migrate,
  Queue,
  SchemaVersionError,
} from '../../src/index.js';
import { createTestDatabase } from '../helpers/database.js';
import { recordNotifications } from '../helpers/notifications.js';

const db = await createTestDatabase({ migrated: false });
const sql = new pg.Pool({ connectionString: db.url });
afterAll(async () => {
  await sql.end();
  await db.drop();
});

async function schemaExists(name: string): Promise<boolean> {
  const { rows } = await sql.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [name]);
  return rows.length === 1;
}

describe('migrate()', () => {
  test('run concurrently from 4 clients, applies each migration exactly once', async () => {
    const clients = await Promise.all(
      [1, 2, 3, 4].map(async () => {
        const client = new pg.Client({ connectionString: db.url });
        await client.connect();
        return client;
      }),
    );
    try {
      const results = await Promise.all(clients.map((client) => migrate(client)));
      expect(results.filter((result) => result.applied.length > 0)).toHaveLength(1);
      expect(results.filter((result) => result.applied.length === 0)).toHaveLength(3);
      for (const result of results) expect(result.toVersion).toBe(latestVersion());
      const { rows } = await sql.query('SELECT id, name FROM pgpulse.migrations ORDER BY id');
      expect(rows).toEqual(migrations().map(({ id, name }) => ({ id, name })));
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  });

  test('is a no-op on a current schema, from a pool or a connection string', async () => {
    expect((await migrate(sql)).applied).toEqual([]);
    const again = await migrate(db.url);
    expect(again).toEqual({
      schema: 'pgpulse',
      fromVersion: latestVersion(),
      toVersion: latestVersion(),
      applied: [],
    });
  });

  test('refuses a database whose schema is newer than the code, changing nothing', async () => {
    await migrate(sql, { schema: 'future' });
    const newer = latestVersion() + 1;
    await sql.query('INSERT INTO future.migrations (id, name) VALUES ($1, $2)', [newer, 'next']);
    const error = await migrate(sql, { schema: 'future' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaVersionError);
    expect(error).toMatchObject({
      code: ErrorCode.schemaVersion,
      databaseVersion: newer,
      codeVersion: latestVersion(),
    });
    const queue = new Queue({ connectionString: db.url, schema: 'future' });
    try {
      await expect(queue.send('q', {})).rejects.toBeInstanceOf(SchemaVersionError);
      const { rows } = await sql.query('SELECT count(*)::int AS n FROM future.jobs');
      expect(rows[0].n).toBe(0);
    } finally {
      await queue.close();
    }
  });

  test('a queue on a schema that was never installed says to run migrate()', async () => {
    const queue = new Queue({ connectionString: db.url, schema: 'never_installed' });
    try {
      const error = await queue.send('q', {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SchemaVersionError);
      expect((error as Error).message).toContain('run migrate()');
      expect(await schemaExists('never_installed')).toBe(false);
    } finally {
      await queue.close();
    }
  });

  test.each([
    'x"; DROP TABLE victim; --',
    'pgpulse; DROP TABLE victim',
    "x'); DROP TABLE victim; --",
    'PGPULSE',
    'pg_temp',
  ])('refuses the schema name %j before anything reaches the database', async (hostile) => {
    await sql.query('CREATE TABLE IF NOT EXISTS victim (id int)');
    const pool = new pg.Pool({ connectionString: db.url });
    try {
      expect(() => new Queue({ pool, schema: hostile })).toThrow(ConfigurationError);
      await expect(migrate(pool, { schema: hostile })).rejects.toBeInstanceOf(ConfigurationError);
      await expect(migrate(db.url, { schema: hostile })).rejects.toBeInstanceOf(ConfigurationError);
      expect(pool.totalCount).toBe(0); // never even connected
      const { rows } = await sql.query("SELECT to_regclass('public.victim') IS NOT NULL AS alive");
      expect(rows[0].alive).toBe(true);
    } finally {
      await pool.end();
    }
  });
});

test('two schemas in one database share neither jobs nor notifications', async () => {
  await migrate(sql, { schema: 'alpha' });
  await migrate(sql, { schema: 'beta' });
  const alpha = new Queue({ connectionString: db.url, schema: 'alpha' });
  const beta = new Queue({ connectionString: db.url, schema: 'beta' });
  const heardByBeta = await recordNotifications(db.url, 'beta.jobs');
  try {
    const { id } = await alpha.send('shared-name', { from: 'alpha' });
    await heardByBeta.barrier();
    expect(heardByBeta.received).toEqual([]);
    expect(await beta.claim('shared-name')).toEqual([]);
    expect(await beta.getJob(id)).toBeNull();
    const [claimed] = await alpha.claim('shared-name');
    expect(claimed?.id).toBe(id);
  } finally {
    await heardByBeta.close();
    await alpha.close();
    await beta.close();
  }
});
