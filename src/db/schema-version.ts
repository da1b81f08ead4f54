import { SchemaVersionError } from '../kernel/errors.js';
import type { Logger } from '../kernel/logger.js';
import type { Queryable } from '../kernel/types.js';
import { roleOf } from './execute.js';
import { latestVersion } from './migrations.js';
import { statementPermissionError } from './permission-error.js';
import { queriesFor } from './queries.js';
import { SqlState, sqlStateOf } from './sqlstate.js';

/**
 * Where a schema stands against this code: `current` (the version the code expects), `older`
 * (run `migrate()`), `newer-compatible` (a newer release migrated it, and every migration this
 * code does not know declares it compatible: run, with a warning) or `newer-incompatible`
 * (refuse: the code must be upgraded).
 */
export interface SchemaStatus {
  readonly schema: string;
  readonly kind: 'current' | 'older' | 'newer-compatible' | 'newer-incompatible';
  /** The installed version, 0 when the schema or its ledger is missing. */
  readonly found: number;
  /** The version this code expects. */
  readonly latest: number;
  /** For a newer schema: the oldest code version its newer migrations leave working. */
  readonly required: number | undefined;
}

/** Reads the installed version and, when it is newer than the code, its compatibility. */
export async function schemaStatus(db: Queryable, schema: string): Promise<SchemaStatus> {
  const latest = latestVersion();
  const found = await installedVersion(db, schema);
  if (found <= latest) {
    return {
      schema,
      kind: found === latest ? 'current' : 'older',
      found,
      latest,
      required: undefined,
    };
  }
  const required = await guarded(db, schema, 'migrate_required_version', async () => {
    const q = queriesFor(schema).migrate_required_version;
    const { rows } = await db.query<{ required: number }>(q.text, [latest]);
    return Number(rows[0]?.required ?? found);
  });
  const kind = required <= latest ? 'newer-compatible' : 'newer-incompatible';
  return { schema, kind, found, latest, required };
}

/**
 * Checks that this code may run against the schema: it is at the version the code expects, or
 * newer with every newer migration declaring this code's version compatible (rolling deploys).
 * A newer compatible schema logs one warning through `logger` (the caller runs this once).
 *
 * @throws SchemaVersionError when the schema is missing, older (run `migrate()`), or newer and
 *   incompatible (upgrade the code).
 * @throws PermissionError when the role may not read the ledger (it lacks every grant).
 */
export async function assertSchemaVersion(
  db: Queryable,
  schema: string,
  logger?: Pick<Logger, 'warn'>,
): Promise<SchemaStatus> {
  const status = await schemaStatus(db, schema);
  switch (status.kind) {
    case 'current':
      return status;
    case 'older':
      throw new SchemaVersionError(
        status.found,
        status.latest,
        `The pgpulse schema "${schema}" is at version ${status.found}, older than this code's ` +
          `${status.latest}: run migrate() first`,
      );
    case 'newer-incompatible':
      throw newerSchemaError(status);
    case 'newer-compatible':
      logger?.warn(
        `pgpulse: the schema "${schema}" is at version ${status.found}, newer than this code's ` +
          `${status.latest}; its newer migrations declare code from version ${status.required} ` +
          'compatible, so this process runs on. Upgrade pgpulse here to finish the deploy.',
        {
          scope: 'pgpulse.schema',
          schema,
          databaseVersion: status.found,
          codeVersion: status.latest,
        },
      );
      return status;
  }
}

/** The error for a schema newer than the code whose newer migrations the code cannot run with. */
export function newerSchemaError(status: SchemaStatus): SchemaVersionError {
  const { schema, found, latest, required } = status;
  return new SchemaVersionError(
    found,
    latest,
    `The pgpulse schema "${schema}" is at version ${found}, newer than this code's ${latest}, ` +
      `and its newer migrations need code that knows version ${required ?? found} or later: ` +
      'upgrade pgpulse before using this database (or run a release that is compatible with it)',
  );
}

/** The installed version, 0 when the schema or its ledger is missing. Needs no CREATE. */
export async function installedVersion(db: Queryable, schema: string): Promise<number> {
  try {
    return await guarded(db, schema, 'migrate_version', async () => {
      const { rows } = await db.query<{ version: number }>(queriesFor(schema).migrate_version.text);
      return Number(rows[0]?.version ?? 0);
    });
  } catch (error) {
    const state = sqlStateOf(error);
    if (state !== SqlState.undefinedTable && state !== SqlState.invalidSchemaName) throw error;
    return 0;
  }
}

/** Runs a read of the ledger, turning a refusal into a `PermissionError` that names the role. */
async function guarded<T>(
  db: Queryable,
  schema: string,
  operation: 'migrate_version' | 'migrate_required_version',
  read: () => Promise<T>,
): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (sqlStateOf(error) !== SqlState.insufficientPrivilege) throw error;
    throw statementPermissionError(error, { role: await roleOf(db, schema), operation, schema });
  }
}
