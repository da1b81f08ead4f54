import pg from 'pg';
import { DEFAULT_SCHEMA } from '../config.js';
import { SchemaVersionError } from '../errors.js';
import type { Queryable } from '../types.js';
import { checkOptionsObject } from '../validate.js';
import { latestVersion, migrations } from './migrations.js';
import { queriesFor } from './queries.js';
import { checkSchemaName, renderSql } from './schema.js';
import { SqlState, sqlStateOf } from './sqlstate.js';

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /** The schema to install or upgrade. Default `'pgpulse'`. */
  schema?: string;
}

/** What {@link migrate} did. */
export interface MigrateResult {
  schema: string;
  /** The version before, 0 for a fresh database. */
  fromVersion: number;
  /** The version after: the newest this code knows. */
  toVersion: number;
  /** The migrations this call applied; empty when the schema was already current. */
  applied: { id: number; name: string }[];
}

/**
 * Installs or upgrades pgpulse's schema. All pending migrations run in one transaction under an
 * advisory lock, so any number of processes may call this at once: one applies, the others wait
 * and find nothing left to do.
 *
 * @param target - a connection string, a `pg.Pool`, or a connected `pg.Client` (not inside a
 *   transaction).
 * @throws SchemaVersionError when the database's schema is newer than this code.
 * @throws ConfigurationError for a bad schema name, before anything is sent.
 * @example
 * ```ts
 * const { applied } = await migrate(process.env.DATABASE_URL!);
 * ```
 */
export async function migrate(
  target: string | pg.Pool | pg.Client,
  options?: MigrateOptions,
): Promise<MigrateResult> {
  const schema = schemaOption(options);
  return withClient(target, (client) => migrateOn(client, schema));
}

/** What {@link planMigrations} found: the migrations `migrate()` would apply, as SQL. */
export interface MigrationPlan {
  schema: string;
  fromVersion: number;
  toVersion: number;
  pending: { id: number; name: string; sql: string }[];
}

/**
 * The migrations `migrate()` would apply, with their SQL rendered for the schema; changes
 * nothing (`pgpulse migrate --dry-run`).
 *
 * @throws SchemaVersionError when the database's schema is newer than this code.
 */
export async function planMigrations(
  target: string | pg.Pool | pg.Client,
  options?: MigrateOptions,
): Promise<MigrationPlan> {
  const schema = schemaOption(options);
  const latest = latestVersion();
  const fromVersion = await withClient(target, (client) => installedVersion(client, schema));
  if (fromVersion > latest) throw newerSchemaError(schema, fromVersion, latest);
  return {
    schema,
    fromVersion,
    toVersion: latest,
    pending: migrations()
      .filter((migration) => migration.id > fromVersion)
      .map(({ id, name, template }) => ({ id, name, sql: renderSql(template, schema) })),
  };
}

/**
 * Drops pgpulse's schema with every job, archive and setting in it, under the migration lock.
 *
 * @returns whether there was a schema to drop.
 */
export async function uninstall(
  target: string | pg.Pool | pg.Client,
  options?: MigrateOptions,
): Promise<{ schema: string; dropped: boolean }> {
  const schema = schemaOption(options);
  const q = queriesFor(schema);
  return withClient(target, async (client) => {
    await client.query('BEGIN');
    try {
      await client.query(q.migrate_lock.text, [`pgpulse.migrate.${schema}`]);
      const { rows } = await client.query<{ present: boolean }>(q.migrate_schema_exists.text, [
        schema,
      ]);
      const dropped = rows[0]?.present === true;
      if (dropped) await client.query(q.migrate_drop_schema.text);
      await client.query('COMMIT');
      return { schema, dropped };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
}

function schemaOption(options: MigrateOptions | undefined): string {
  return checkSchemaName(
    checkOptionsObject('options', options, 'configuration').schema ?? DEFAULT_SCHEMA,
  );
}

/** Runs `work` on one connection of the target, opened (and closed) here when needed. */
async function withClient<T>(
  target: string | pg.Pool | pg.Client,
  work: (client: pg.ClientBase) => Promise<T>,
): Promise<T> {
  if (typeof target === 'string') {
    const client = new pg.Client({ connectionString: target, application_name: 'pgpulse' });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }
  if (isPool(target)) {
    const client = await target.connect();
    try {
      return await work(client);
    } finally {
      client.release();
    }
  }
  return work(target);
}

/** Duck-typed (the application may load its own copy of `pg`): only a pool counts clients. */
function isPool(target: pg.Pool | pg.Client): target is pg.Pool {
  return 'totalCount' in target;
}

async function migrateOn(client: pg.ClientBase, schema: string): Promise<MigrateResult> {
  const q = queriesFor(schema);
  const latest = latestVersion();
  await client.query('BEGIN');
  try {
    await client.query(q.migrate_lock.text, [`pgpulse.migrate.${schema}`]);
    await client.query(q.migrate_create_schema.text);
    await client.query(q.migrate_create_ledger.text);
    const fromVersion = await versionOn(client, q.migrate_version.text);
    if (fromVersion > latest) throw newerSchemaError(schema, fromVersion, latest);
    const applied: MigrateResult['applied'] = [];
    for (const migration of migrations()) {
      if (migration.id <= fromVersion) continue;
      await client.query(renderSql(migration.template, schema));
      await client.query(q.migrate_record.text, [migration.id, migration.name]);
      applied.push({ id: migration.id, name: migration.name });
    }
    await client.query('COMMIT');
    return { schema, fromVersion, toVersion: latest, applied };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** The installed version, 0 when the schema or its ledger is missing. */
async function installedVersion(db: Queryable, schema: string): Promise<number> {
  try {
    return await versionOn(db, queriesFor(schema).migrate_version.text);
  } catch (error) {
    const state = sqlStateOf(error);
    if (state !== SqlState.undefinedTable && state !== SqlState.invalidSchemaName) throw error;
    return 0;
  }
}

async function versionOn(db: Queryable, text: string): Promise<number> {
  const { rows } = await db.query<{ version: number }>(text);
  return Number(rows[0]?.version ?? 0);
}

function newerSchemaError(schema: string, found: number, latest: number): SchemaVersionError {
  return new SchemaVersionError(
    found,
    latest,
    `The pgpulse schema "${schema}" is at version ${found}, newer than this code's ${latest}: ` +
      'upgrade pgpulse before using this database',
  );
}

/**
 * Checks that the schema is installed at exactly the version this code expects.
 *
 * @throws SchemaVersionError when it is missing, older (run `migrate()`) or newer (upgrade).
 */
export async function assertSchemaVersion(db: Queryable, schema: string): Promise<void> {
  const latest = latestVersion();
  const found = await installedVersion(db, schema);
  if (found > latest) throw newerSchemaError(schema, found, latest);
  if (found < latest) {
    throw new SchemaVersionError(
      found,
      latest,
      `The pgpulse schema "${schema}" is at version ${found}, older than this code's ${latest}: ` +
        'run migrate() first',
    );
  }
}
