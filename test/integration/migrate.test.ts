import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { latestVersion, migrations } from '../../src/db/migrations.js';
import {
  ConfigurationError,
  ErrorCode,
  migrate,
  planMigrations,
  Queue,
  SchemaVersionError,
} from '../../src/index.js';
import { createTestDatabase } from '../helpers/database.js';
import { recordNotifications } from '../helpers/notifications.js';
import { waitFor } from '../helpers/wait.js';

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

describe('rolling deploys: a schema newer than the code', () => {
  /** A queue on `schema` whose warnings are kept. */
  function watchedQueue(schema: string) {
    const warnings: string[] = [];
    const queue = new Queue({
      connectionString: db.url,
      schema,
      logger: { warn: (message) => warnings.push(message), error: () => undefined },
    });
    return { queue, warnings };
  }

  test('migrate() records what each migration declares about older code', async () => {
    const { rows } = await sql.query(
      'SELECT id, compatible_from FROM pgpulse.migrations ORDER BY id',
    );
    expect(rows).toEqual(
      migrations().map((m) => ({ id: m.id, compatible_from: m.compatibleFrom })),
    );
  });

  test('whose newer migrations declare this code compatible: a queue warns once and works', async () => {
    await migrate(sql, { schema: 'expanded' });
    const newer = latestVersion() + 1;
    // What a newer release's additive migration would do: add a column, and say older code is fine.
    await sql.query('ALTER TABLE expanded.jobs ADD COLUMN added_later text');
    await sql.query(
      'INSERT INTO expanded.migrations (id, name, compatible_from) VALUES ($1, $2, $3)',
      [newer, 'adds_a_column', latestVersion()],
    );
    const { queue, warnings } = watchedQueue('expanded');
    try {
      const { id } = await queue.send('q', { n: 1 });
      const [job] = await queue.claim('q');
      if (job === undefined) throw new Error('nothing claimed');
      await queue.complete(job, 'ok');
      expect(await queue.getJob(id)).toMatchObject({ state: 'completed', result: 'ok' });
      expect(await queue.stats('q')).toMatchObject({ counts: { completed: 1 } });
    } finally {
      await queue.close();
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/at version \d+, newer than this code's \d+.*runs on/);
    // An older process that calls migrate() at start-up finds nothing to do.
    expect(await migrate(sql, { schema: 'expanded' })).toEqual({
      schema: 'expanded',
      fromVersion: newer,
      toVersion: newer,
      applied: [],
    });
    expect((await planMigrations(sql, { schema: 'expanded' })).pending).toEqual([]);
  });

  test('with a newer migration that is not compatible: SchemaVersionError, nothing written', async () => {
    await migrate(sql, { schema: 'contracted' });
    const latest = latestVersion();
    // latest+1 leaves this code working; latest+2 (a contract step) needs code from latest+1.
    await sql.query(
      'INSERT INTO contracted.migrations (id, name, compatible_from) VALUES ($1, $2, $3), ($4, $5, $6)',
      [latest + 1, 'expand', latest, latest + 2, 'contract', latest + 1],
    );
    const { queue, warnings } = watchedQueue('contracted');
    try {
      const error = await queue.send('q', {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SchemaVersionError);
      expect(error).toMatchObject({ databaseVersion: latest + 2, codeVersion: latest });
      expect((error as Error).message).toMatch(
        /needs? code that knows version \d+ or later: upgrade pgpulse/,
      );
      const { rows } = await sql.query('SELECT count(*)::int AS n FROM contracted.jobs');
      expect(rows[0].n).toBe(0);
    } finally {
      await queue.close();
    }
    expect(warnings).toEqual([]);
    await expect(migrate(sql, { schema: 'contracted' })).rejects.toBeInstanceOf(SchemaVersionError);
    await expect(planMigrations(sql, { schema: 'contracted' })).rejects.toBeInstanceOf(
      SchemaVersionError,
    );
  });
});

test('a migration that fails for a transient reason (a lock timeout) is tried again', async () => {
  const lock = "SELECT pg_advisory_xact_lock(hashtextextended('pgpulse.migrate.retried', 0))";
  const holder = new pg.Client({ connectionString: db.url });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query(lock);
    const url = new URL(db.url);
    url.searchParams.set('options', '-c lock_timeout=200');
    url.searchParams.set('application_name', 'pgpulse-retried');
    const migrating = migrate(url.toString(), { schema: 'retried' });
    // Each attempt opens its own connection: seeing a second one wait means the first failed.
    const waiting = async () => {
      const { rows } = await sql.query(
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgpulse-retried' AND wait_event_type = 'Lock'",
      );
      return rows.map((row) => row.pid as number);
    };
    const seen = new Set<number>();
    await waitFor(async () => {
      for (const pid of await waiting()) seen.add(pid);
      return seen.size >= 2;
    }, 'a second attempt to wait for the migration lock');
    await holder.query('COMMIT');
    const result = await migrating;
    expect(result.applied).toHaveLength(latestVersion());
    expect(await schemaExists('retried')).toBe(true);
  } finally {
    await holder.end();
  }
});
