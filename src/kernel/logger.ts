/**
 * Which part of pgpulse a log record comes from, in its `scope` field: `pgpulse.worker` (handler
 * outcomes), `pgpulse.consumer` (claiming, heartbeats, settings of workers and `observe`),
 * `pgpulse.listener` (the LISTEN connection), `pgpulse.events` (`queue.events()`),
 * `pgpulse.maintenance` (sweeper, retention), `pgpulse.metrics`, `pgpulse.pool` (idle
 * connections), `pgpulse.schema` (the version check),
 * `pgpulse.schedule` (schedules' ticks and repairs).
 */
export type LogScope =
  | 'pgpulse.worker'
  | 'pgpulse.consumer'
  | 'pgpulse.listener'
  | 'pgpulse.events'
  | 'pgpulse.maintenance'
  | 'pgpulse.metrics'
  | 'pgpulse.pool'
  | 'pgpulse.schema'
  | 'pgpulse.schedule'
  | 'pgpulse.dashboard';

/**
 * The structured part of a log record. `scope` says which part of pgpulse speaks; the other
 * fields depend on the record: `queue`, `jobId`, `attempt`, `error` (`{ message, code? }`)...
 */
export interface LogFields {
  readonly scope: LogScope;
  readonly [field: string]: unknown;
}

/**
 * Where pgpulse reports what happens, by level: `error` for what stops a worker, `warn` for
 * problems it recovers from (and jobs a handler sent to dead), `info` for failed attempts that
 * will be retried, `debug` for the rest. Each method is called as `(message, fields)`, the order
 * of `console` and winston; `debug` and `info` may be left out.
 *
 * For a logger that takes its fields first (pino, bunyan), wrap it with {@link pinoLogger}; a
 * pino logger given as it is is recognised and wrapped for you.
 *
 * @example
 * ```ts
 * new Queue({ connectionString, logger: console });           // every level on the console
 * new Queue({ connectionString, logger: pino() });            // recognised: (fields, message)
 * new Queue({ connectionString, logger: winston.createLogger({ level: 'info' }) });
 * ```
 */
export interface Logger {
  debug?(message: string, fields: LogFields): void;
  info?(message: string, fields: LogFields): void;
  warn(message: string, fields: LogFields): void;
  error(message: string, fields: LogFields): void;
}

/** A logger whose methods take the fields first, then the message: pino's and bunyan's order. */
export interface FieldsFirstLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/**
 * Adapts a logger that takes `(fields, message)`, such as pino or bunyan, so that pgpulse's
 * fields are kept rather than dropped (pino reads a second argument as a format value).
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * const queue = new Queue({ connectionString, logger: pinoLogger(pino().child({ app: 'api' })) });
 * ```
 */
export function pinoLogger(logger: FieldsFirstLogger): Required<Logger> {
  return {
    debug: (message, fields) => logger.debug(fields, message),
    info: (message, fields) => logger.info(fields, message),
    warn: (message, fields) => logger.warn(fields, message),
    error: (message, fields) => logger.error(fields, message),
  };
}

/** Whether `value` looks like a pino logger (its `levels` table and `bindings()`). */
function isPino(value: object): value is FieldsFirstLogger {
  const candidate = value as { levels?: { values?: unknown }; bindings?: unknown };
  return (
    typeof candidate.bindings === 'function' &&
    typeof candidate.levels === 'object' &&
    typeof candidate.levels?.values === 'object'
  );
}

/** The default logger: the console's warnings and errors; debug and info are dropped. */
const CONSOLE_WARNINGS: Logger = {
  warn: (message, fields) => console.warn(message, fields),
  error: (message, fields) => console.error(message, fields),
};

/**
 * The logger pgpulse calls: every level present (a missing one does nothing), a pino logger
 * adapted, each call made as a method call of the given logger. Undefined gives the default.
 * Returns undefined for something that is not a logger (no `warn` or `error` method).
 */
export function resolveLogger(input: unknown): Required<Logger> | undefined {
  const given = input ?? CONSOLE_WARNINGS;
  if (typeof given !== 'object' || given === null) return undefined;
  if (isPino(given)) return Object.freeze(pinoLogger(given));
  const logger = given as Partial<Logger>;
  if (typeof logger.warn !== 'function' || typeof logger.error !== 'function') return undefined;
  const nothing = () => undefined;
  return Object.freeze({
    debug: typeof logger.debug === 'function' ? (m, f) => logger.debug?.(m, f) : nothing,
    info: typeof logger.info === 'function' ? (m, f) => logger.info?.(m, f) : nothing,
    warn: (m, f) => logger.warn?.(m, f),
    error: (m, f) => logger.error?.(m, f),
  } satisfies Required<Logger>);
}
