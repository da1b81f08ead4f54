import {
  ConnectionError,
  ErrorCode,
  isPgPulseError,
  type PgPulseError,
  SchemaVersionError,
} from '../kernel/errors.js';

/** Thrown for bad command-line input: printed as one line, exit code 2, nothing written. */
export class UsageError extends Error {}

/** Thrown for an id or name that names nothing (a flow): printed as one line, exit code 6. */
export class NotFoundError extends Error {}

/** Hides the password of every connection string in `text`. */
export function redact(text: string, urls: readonly string[] = []): string {
  let out = text;
  for (const url of urls) {
    try {
      const password = decodeURIComponent(new URL(url).password);
      if (password !== '') out = out.split(password).join('***');
    } catch {
      // not a URL: nothing to hide
    }
  }
  // Any other postgres://user:password@ in the text.
  return out.replace(/(postgres(?:ql)?:\/\/[^:/@\s]+:)[^@\s]+@/g, '$1***@');
}

const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ECONNRESET',
  'EAI_AGAIN',
]);

/** What a failure message may name: the database (password hidden) and the schema. */
export interface FailureContext {
  readonly url: string | undefined;
  readonly schema: string;
}

/** One line for an error: what went wrong, in words an operator can act on. */
export function describeFailure(error: unknown, context: FailureContext): string {
  const { url, schema } = context;
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : String(error);
  const where = url === undefined ? 'the database' : `the database at ${redact(url, [url])}`;
  if (typeof code === 'string' && (CONNECTION_ERRORS.has(code) || /^(08|28|3D)/.test(code))) {
    return `Cannot connect to ${where}: ${message}`;
  }
  if (error instanceof AggregateError && error.errors.length > 0) {
    return describeFailure(error.errors[0], context);
  }
  if (error instanceof SchemaVersionError && error.databaseVersion < error.codeVersion) {
    const found =
      error.databaseVersion === 0
        ? 'is not installed'
        : `is at version ${error.databaseVersion}, older than this pgpulse's ${error.codeVersion}`;
    return `The pgpulse schema "${schema}" in ${where} ${found}: run \`pgpulse migrate\` first`;
  }
  if (error instanceof UsageError || isPgPulseError(error)) return message;
  // node-postgres reports a connection that failed or dropped (a timeout, a server gone away) as
  // a plain Error without a SQLSTATE; a bug would be a TypeError or the like.
  if (error instanceof Error && error.constructor === Error && code === undefined) {
    return `Cannot connect to ${where}: ${message}`;
  }
  return `Failed: ${message}`;
}

/**
 * The exit status of `pgpulse`, by what went wrong: scripts branch on it (docs/guide/cli.md).
 * Nothing was written whenever a command fails before reaching the database.
 */
export const ExitCode = {
  /** Done. */
  ok: 0,
  /** A failure of no class below (a bug, a module of yours that threw). */
  failure: 1,
  /** Bad arguments, options, environment or config file; or a refusal to go on without --yes. */
  usage: 2,
  /** The database cannot be reached, or refused the login. */
  connection: 3,
  /** The pgpulse schema is not installed, older than this pgpulse, or newer and incompatible. */
  schema: 4,
  /** The database role lacks a privilege (`pgpulse grant`). */
  permission: 5,
  /** No job, queue, schedule or flow has this id or name. */
  notFound: 6,
  /** The job or queue is not in a state that allows it (finished, busy, key taken). */
  conflict: 7,
  /** A second signal stopped `pgpulse work` at once. */
  interrupted: 130,
} as const;

/** The name of an exit code's class, as `--json` prints it. */
export type FailureKind = Exclude<keyof typeof ExitCode, 'ok'>;

const KIND_OF_CODE: Readonly<Partial<Record<string, FailureKind>>> = {
  [ErrorCode.validation]: 'usage',
  [ErrorCode.configuration]: 'usage',
  [ErrorCode.connection]: 'connection',
  [ErrorCode.schemaVersion]: 'schema',
  [ErrorCode.permission]: 'permission',
  [ErrorCode.jobNotFound]: 'notFound',
  [ErrorCode.queueNotFound]: 'notFound',
  [ErrorCode.scheduleNotFound]: 'notFound',
  [ErrorCode.invalidState]: 'conflict',
  [ErrorCode.queueBusy]: 'conflict',
  [ErrorCode.jobExists]: 'conflict',
};

/** The class of a failure (see {@link ExitCode}). */
export function failureKind(error: unknown): FailureKind {
  if (error instanceof AggregateError && error.errors.length > 0)
    return failureKind(error.errors[0]);
  if (error instanceof UsageError) return 'usage';
  if (error instanceof NotFoundError) return 'notFound';
  if (isPgPulseError(error)) return KIND_OF_CODE[error.code] ?? 'failure';
  const code = (error as { code?: unknown })?.code;
  if (code === '42501') return 'permission';
  if (typeof code === 'string' && (CONNECTION_ERRORS.has(code) || /^(08|28|3D)/.test(code))) {
    return 'connection';
  }
  if (error instanceof ConnectionError) return 'connection';
  // node-postgres reports a connection that failed or dropped as a plain Error without a code.
  if (error instanceof Error && error.constructor === Error && code === undefined) {
    return 'connection';
  }
  return 'failure';
}

/** The exit status for a failure. */
export function exitCodeOf(error: unknown): number {
  return ExitCode[failureKind(error)];
}

/** A failure as `--json` prints it on stderr: one line, passwords hidden in `message`. */
export function failureJson(
  error: unknown,
  message: string,
  exitCode: number,
): { error: { kind: FailureKind; exitCode: number; code?: string; message: string } } {
  const code = isPgPulseError(error) ? (error as PgPulseError).code : undefined;
  return {
    error: {
      kind: failureKind(error),
      exitCode,
      ...(code === undefined ? {} : { code }),
      message,
    },
  };
}
