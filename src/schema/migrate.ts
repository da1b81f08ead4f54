import type pg from 'pg';
import { DEFAULT_SCHEMA } from '../config/options.js';
import { checkSchemaName } from '../config/schema-name.js';
import { roleOf } from '../db/execute.js';
import { isTransient } from '../db/failure.js';
import { latestVersion, migrations } from '../db/migrations.js';
import { queriesFor } from '../db/queries.js';
import { renderSql } from '../db/render-sql.js';
import {
  installedVersion,
  newerSchemaError,
  type SchemaStatus,
  schemaStatus,
} from '../db/schema-version.js';
import { withSession } from '../db/session.js';
import { SqlState, sqlStateOf } from '../db/sqlstate.js';
import { PermissionError } from '../kernel/errors.js';
import { checkOptionsObject } from '../kernel/validate.js';

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
  /**
   * The version after: the newest this code knows, or the schema's own when a newer release
   * already migrated it further in a way this code is compatible with.
   */
  toVersion: number;
  /** The migrations this call applied; empty when the schema was already current. */
  applied: { id: number; name: string }[];
}

/** How often a migration that failed for a transient reason is tried in all. */
const MIGRATE_ATTEMPTS = 4;

/**
 * Installs or upgrades pgpulse's schema. It first reads the installed version, which needs no
 * privilege beyond reading the ledger, so an application role may call it on a current schema.
 * Only when something must be applied does it take an advisory lock and apply every pending
 * migration in one transaction, so any number of processes may call this at once: one applies,
 * the others wait and find nothing left to do. A transaction that fails for a transient reason (a
 * deadlock, a dropped connection, a server restarting) is tried again, up to 4 times in all.
 *
 * @param target - a connection string, a `pg.Pool`, or a connected `pg.Client` (not inside a
 *   transaction).
 * @throws SchemaVersionError when the database's schema is newer than this code and not
 *   compatible with it.
 * @throws PermissionError when migrations must be applied and the role may not create the
 *   schema's objects: run `migrate()` as the role that owns them.
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
  latestVersion(); // reads the migration files once, outside the retries: a bad file is no blip
  for (let attempt = 1; ; attempt++) {
    let connected = false;
    try {
      return await withSession(target, async (client) => {
        connected = true;
        return migrateOn(client, schema);
      });
    } catch (error) {
      // Failing to connect at all is most likely a wrong address or password: said at once.
      const retry = connected || attempt > 1;
      if (!retry || attempt >= MIGRATE_ATTEMPTS || !isTransient(error)) throw error;
      await sleep(backoffMs(attempt));
    }
  }
}

/** ~250 ms, 500 ms, 1 s, jittered so that racing processes spread out. */
function backoffMs(attempt: number): number {
  return 250 * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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
 * @throws SchemaVersionError when the database's schema is newer than this code and not
 *   compatible with it.
 */
export async function planMigrations(
  target: string | pg.Pool | pg.Client,
  options?: MigrateOptions,
): Promise<MigrationPlan> {
  const schema = schemaOption(options);
  const status = await withSession(target, (client) => schemaStatus(client, schema));
  if (status.kind === 'newer-incompatible') throw newerSchemaError(status);
  return {
    schema,
    fromVersion: status.found,
    toVersion: Math.max(status.found, status.latest),
    pending: migrations()
      .filter((migration) => migration.id > status.found)
      .map(({ id, name, template }) => ({ id, name, sql: renderSql(template, schema) })),
  };
}

/**
 * Drops pgpulse's schema with every job, archive and setting in it, under the migration lock.
 *
 * @returns whether there was a schema to drop.
 * @throws PermissionError when the role does not own the schema.
 */
export async function uninstall(
  target: string | pg.Pool | pg.Client,
  options?: MigrateOptions,
): Promise<{ schema: string; dropped: boolean }> {
  const schema = schemaOption(options);
  const q = queriesFor(schema);
  return withSession(target, (client) =>
    inTransaction(client, schema, 'uninstall', async () => {
      await client.query(q.migrate_lock.text, [`pgpulse.migrate.${schema}`]);
      const { rows } = await client.query<{ present: boolean }>(q.migrate_schema_exists.text, [
        schema,
      ]);
      const dropped = rows[0]?.present === true;
      if (dropped) await client.query(q.migrate_drop_schema.text);
      return { schema, dropped };
    }),
  );
}

function schemaOption(options: MigrateOptions | undefined): string {
  return checkSchemaName(
    checkOptionsObject('options', options, 'configuration').schema ?? DEFAULT_SCHEMA,
  );
}

async function migrateOn(client: pg.ClientBase, schema: string): Promise<MigrateResult> {
  const latest = latestVersion();
  // Read first, without the lock or CREATE: the common case (a current schema) changes nothing.
  const installed = await readOnlyStatus(client, schema);
  if (installed !== undefined) return unchanged(installed);
  const q = queriesFor(schema);
  return inTransaction(client, schema, 'migrate', async () => {
    await client.query(q.migrate_lock.text, [`pgpulse.migrate.${schema}`]);
    await client.query(q.migrate_create_schema.text);
    await client.query(q.migrate_create_ledger.text);
    // Another process may have migrated while this one waited for the lock.
    const fromVersion = await installedVersion(client, schema);
    if (fromVersion >= latest) return unchanged(await schemaStatus(client, schema));
    const pending = migrations().filter((migration) => migration.id > fromVersion);
    for (const migration of pending) {
      await client.query(renderSql(migration.template, schema));
      await client.query(q.migrate_record.text, [migration.id, migration.name]);
    }
    // Once every migration is in, the ledger has the column (migration 0010).
    await client.query(q.migrate_record_compatibility.text, [
      pending.map((migration) => migration.id),
      pending.map((migration) => migration.compatibleFrom),
    ]);
    return {
      schema,
      fromVersion,
      toVersion: latest,
      applied: pending.map(({ id, name }) => ({ id, name })),
    };
  });
}

/** The schema's status when nothing needs applying, undefined when migrations are pending. */
async function readOnlyStatus(
  client: pg.ClientBase,
  schema: string,
): Promise<SchemaStatus | undefined> {
  try {
    const status = await schemaStatus(client, schema);
    return status.kind === 'older' ? undefined : status;
  } catch (error) {
    if (!(error instanceof PermissionError)) throw error;
    throw migratePermissionError(error.cause, error.role, schema, 'migrate');
  }
}

/** A current or newer schema: nothing to apply, unless it is newer and incompatible. */
function unchanged(status: SchemaStatus): MigrateResult {
  if (status.kind === 'newer-incompatible') throw newerSchemaError(status);
  return { schema: status.schema, fromVersion: status.found, toVersion: status.found, applied: [] };
}

/**
 * Runs `work` in a transaction on `client`; a failure rolls back, and a refused privilege becomes
 * a `PermissionError` saying that the schema's owner must do this.
 */
async function inTransaction<T>(
  client: pg.ClientBase,
  schema: string,
  operation: 'migrate' | 'uninstall',
  work: () => Promise<T>,
): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (sqlStateOf(error) === SqlState.insufficientPrivilege) {
      throw migratePermissionError(error, await roleOf(client, schema), schema, operation);
    }
    if (error instanceof PermissionError) {
      throw migratePermissionError(error.cause, error.role, schema, operation);
    }
    throw error;
  }
}

function migratePermissionError(
  cause: unknown,
  role: string | undefined,
  schema: string,
  operation: 'migrate' | 'uninstall',
): PermissionError {
  const who = role === undefined ? 'The database role' : `Database role "${role}"`;
  const reason = cause instanceof Error ? cause.message : String(cause);
  const what =
    operation === 'migrate'
      ? `may not install or upgrade pgpulse schema "${schema}" (${reason}): run migrate() ` +
        '(`pgpulse migrate`) as the role that owns the schema, or may create it; an ' +
        'application role needs only what `pgpulse grant` gives, once the schema is current'
      : `may not drop pgpulse schema "${schema}" (${reason}): run uninstall as the role that owns it`;
  return new PermissionError(`${who} ${what}`, { cause, role, operation, grants: [] });
}
