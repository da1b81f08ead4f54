import { ConnectionError, JobAlreadyExistsError, SchemaVersionError } from '../errors.js';
import type { Queryable } from '../types.js';
import { isTransient } from './failure.js';
import { latestVersion } from './migrations.js';
import type { PreparedQuery } from './queries.js';
import { SqlState, sqlStateOf } from './sqlstate.js';

/**
 * Runs a registered statement and returns its rows. A database without pgpulse's tables fails
 * with a `SchemaVersionError` that says what to do, instead of `relation does not exist`.
 */
export async function execute<Row>(
  db: Queryable,
  query: PreparedQuery,
  values: readonly unknown[],
  schema: string,
): Promise<Row[]> {
  try {
    const result = await db.query({ name: query.name, text: query.text, values: [...values] });
    return result.rows as Row[];
  } catch (error) {
    throw translateError(error, schema);
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
