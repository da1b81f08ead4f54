/**
 * The PostgreSQL error codes (SQLSTATE) pgpulse reacts to, by name. Branch on these, never on
 * message text. See https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export const SqlState = {
  undefinedTable: '42P01',
  undefinedFunction: '42883',
  invalidSchemaName: '3F000',
  insufficientPrivilege: '42501',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  tooManyConnections: '53300',
  adminShutdown: '57P01',
  crashShutdown: '57P02',
  cannotConnectNow: '57P03',
  /** No prepared statement of that name on this connection (a pooler may have switched it). */
  invalidSqlStatementName: '26000',
  /** A prepared statement of that name exists already on this connection. */
  duplicatePreparedStatement: '42P05',
  /** Among others, PgBouncer refusing a startup parameter it does not know. */
  protocolViolation: '08P01',
  /** Raised by reject_duplicate() (migration 0005): a job holds the idempotency key. */
  jobAlreadyExists: 'PQ001',
} as const;

/** The SQLSTATE of a `pg` database error, or undefined for any other error. */
export function sqlStateOf(error: unknown): string | undefined {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    // pg's DatabaseError carries the five-character SQLSTATE; Node's own errors carry E-codes.
    return /^[0-9A-Z]{5}$/.test(error.code) ? error.code : undefined;
  }
  return undefined;
}
