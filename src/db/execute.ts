import { ConnectionError, SchemaVersionError } from '../kernel/errors.js';
import { JobAlreadyExistsError } from '../kernel/job-errors.js';
import type { Queryable, SqlExecutor } from '../kernel/types.js';
import { isTransient } from './failure.js';
import { latestVersion } from './migrations.js';
import { statementPermissionError } from './permission-error.js';
import { type PreparedQuery, type QueryName, queriesFor } from './queries.js';
import { SqlState, sqlStateOf } from './sqlstate.js';

/**
 * Runs a registered statement and returns its rows. A database without pgpulse's tables fails
 * with a `SchemaVersionError` that says what to do, instead of `relation does not exist`; a role
 * refused a privilege, with a `PermissionError` naming the role and the grant it lacks.
 */
export async function execute<Row>(
  db: Queryable | SqlExecutor,
  query: PreparedQuery,
  values: readonly unknown[],
  schema: string,
  operation: QueryName,
): Promise<Row[]> {
  try {
    // Unnamed, as text and values: what any executor takes. Named: node-postgres prepares it once
    // per connection.
    const result =
      query.name === undefined
        ? await (db as SqlExecutor).query(query.text, [...values])
        : await (db as Queryable).query({
            name: query.name,
            text: query.text,
            values: [...values],
          });
    return result.rows as Row[];
  } catch (error) {
    if (sqlStateOf(error) === SqlState.insufficientPrivilege) {
      throw statementPermissionError(error, { role: await roleOf(db, schema), operation, schema });
    }
    throw translateError(error, schema);
  }
}

/**
 * The role statements on `db` run as, or undefined when asking fails (a client inside a failed
 * transaction answers nothing). Asked only after a refusal, to name the role in the error.
 */
export async function roleOf(
  db: Queryable | SqlExecutor,
  schema: string,
): Promise<string | undefined> {
  try {
    // Unnamed: through a transaction-mode pooler a prepared statement may be elsewhere.
    const { rows } = await (db as SqlExecutor).query(queriesFor(schema).current_role.text, []);
    return (rows[0] as { role?: string } | undefined)?.role;
  } catch {
    return undefined;
  }
}

/** Turns the database errors pgpulse understands into typed errors; others pass unchanged. */
export function translateError(error: unknown, schema: string): unknown {
  switch (sqlStateOf(error)) {
    case SqlState.undefinedTable:
    case SqlState.invalidSchemaName:
    case SqlState.undefinedFunction: {
      const failure = new SchemaVersionError(
        0,
        latestVersion(),
        `The pgpulse schema "${schema}" is not installed or incomplete: run migrate() first`,
      );
      failure.cause = error;
      return failure;
    }
    case SqlState.jobAlreadyExists: {
      const detail = parseDetail(error);
      return new JobAlreadyExistsError(String(detail.key), String(detail.id), { cause: error });
    }
    default:
      if (isConnectionFailure(error)) {
        const message = error instanceof Error ? error.message : String(error);
        return new ConnectionError(`The database connection failed: ${message}`, {
          cause: error,
        });
      }
      return error;
  }
}

/**
 * A failure of the connection rather than of the statement: transient, except a serialization
 * failure or deadlock, which are transient too but said by the database about the statement.
 */
function isConnectionFailure(error: unknown): boolean {
  const state = sqlStateOf(error);
  if (state === SqlState.serializationFailure || state === SqlState.deadlockDetected) return false;
  return isTransient(error);
}

/** The JSON that reject_duplicate() puts in an error's DETAIL. */
function parseDetail(error: unknown): Record<string, unknown> {
  try {
    return JSON.parse((error as { detail?: string }).detail ?? '{}') as Record<string, unknown>;
  } catch {
    return {};
  }
}
