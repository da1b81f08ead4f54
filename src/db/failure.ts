import { ErrorCode, isPgPulseError } from '../kernel/errors.js';
import { SqlState, sqlStateOf } from './sqlstate.js';

/**
 * Whether retrying can cure a failure. `transient`: the connection dropped or could not be made
 * yet, the server is restarting or out of connections, a serialization failure or deadlock lost
 * a race: try again with backoff. `permanent`: missing privileges, a missing schema or table,
 * bad credentials, a schema version this code cannot use, bad input: retrying changes nothing,
 * so the caller must hear of it at once.
 */
export type FailureKind = 'transient' | 'permanent';

/** SQLSTATE classes and codes that heal by themselves. */
const TRANSIENT_STATES: ReadonlySet<string> = new Set([
  SqlState.serializationFailure,
  SqlState.deadlockDetected,
  SqlState.tooManyConnections,
  SqlState.adminShutdown,
  SqlState.crashShutdown,
  SqlState.cannotConnectNow,
  '53000', // insufficient resources
  '53100', // disk full
  '53200', // out of memory
  '55P03', // lock not available
  '57014', // query cancelled (a statement timeout, or pg_cancel_backend)
  '58000', // system error
  '58030', // I/O error
]);

/** Node's socket and DNS error codes for a connection that failed or dropped. */
const TRANSIENT_NODE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/** Classifies a failure of a database call (see {@link FailureKind}). */
export function failureKind(error: unknown): FailureKind {
  if (isPgPulseError(error)) return error.code === ErrorCode.connection ? 'transient' : 'permanent';
  const state = sqlStateOf(error);
  if (state !== undefined) {
    // Class 08: connection exception.
    return state.startsWith('08') || TRANSIENT_STATES.has(state) ? 'transient' : 'permanent';
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return TRANSIENT_NODE_CODES.has(code) ? 'transient' : 'permanent';
  // node-postgres reports a dropped or timed-out connection as a plain Error without a code
  // ("Connection terminated unexpectedly", "timeout exceeded when trying to connect"); a bug
  // in our own code would be a TypeError or the like.
  if (error instanceof Error && error.constructor === Error) return 'transient';
  return 'permanent';
}

/** Whether retrying can cure `error`. */
export function isTransient(error: unknown): boolean {
  return failureKind(error) === 'transient';
}

/** How {@link retryTransient} retries. */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  readonly attempts: number;
  /** Delay before the second try; doubled before each next one (with ±25% jitter). */
  readonly baseDelayMs: number;
}

/**
 * Runs `operation`, and again after a backoff delay while it fails with a transient error, up to
 * `policy.attempts` tries. A permanent error, or the last transient one, rejects. Only for
 * operations that are safe to repeat.
 */
export async function retryTransient<T>(
  operation: () => Promise<T>,
  policy: RetryPolicy,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= policy.attempts || !isTransient(error)) throw error;
      const delay = policy.baseDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
