import type { PoolerMode } from '../config/options.js';
import { SqlState, sqlStateOf } from './sqlstate.js';

/** What {@link poolerHint} needs to know of a queue's connection. */
export interface PoolerSetup {
  readonly pooler: PoolerMode;
  /** Whether the queue's connections send startup `options` (its own pool, `pooler: 'none'`). */
  readonly startupOptions: boolean;
}

/**
 * What to set when `error` looks like a pooler the queue was not told of: the failures PgBouncer
 * causes by SQLSTATE, never by message text. Undefined for any other error. Only a hint: the
 * same codes can have other causes, so nothing changes by itself.
 */
export function poolerHint(error: unknown, setup: PoolerSetup): string | undefined {
  const state = sqlStateOf(error);
  if (
    setup.pooler !== 'transaction' &&
    (state === SqlState.invalidSqlStatementName || state === SqlState.duplicatePreparedStatement)
  ) {
    return (
      `pgpulse: a prepared statement was missing, or already there, on the server connection ` +
      `(SQLSTATE ${state}). A pooler in transaction mode does this to named statements ` +
      '(PgBouncer before 1.21, or without max_prepared_statements): if the queue connects ' +
      "through one, set pooler: 'transaction' (PGPULSE_POOLER=transaction)."
    );
  }
  if (setup.startupOptions && state === SqlState.protocolViolation) {
    return (
      `pgpulse: the server refused the connection (SQLSTATE ${state}, protocol violation). ` +
      'PgBouncer does this to the startup parameter `options`, which pgpulse uses to set ' +
      'plan_cache_mode on its own pool: if the queue connects through a pooler, set pooler: ' +
      "'transaction' (PGPULSE_POOLER=transaction), or 'session' for one in session mode."
    );
  }
  return undefined;
}
