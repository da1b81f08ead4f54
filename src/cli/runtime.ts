import { createInterface } from 'node:readline/promises';
import type { PoolerMode, QueueOptions } from '../config/options.js';
import { loadQueueOptions } from '../config/sources.js';
import {
  ConfigurationError,
  ErrorCode,
  isPgPulseError,
  SchemaVersionError,
} from '../kernel/errors.js';
import { Queue } from '../queue.js';

/** The options every command takes (see `program.ts`). */
export interface GlobalOptions {
  databaseUrl?: string;
  schema?: string;
  config?: string;
  json?: boolean;
  connectTimeoutMs?: number;
  pooler?: PoolerMode;
}

/** A command's view of the command line: its connection, and how to print. */
export interface Cli {
  readonly json: boolean;
  /** The queue, connected on first use with the global options, env and config file. */
  queue(options?: { listen?: boolean }): Queue;
  /** The connection string in use (for commands that connect without a Queue). */
  connection(): { url: string; schema: string };
  /** The schema in use, for commands that need no database (`--schema`, env, config file). */
  schema(): string;
  /** Prints a value as JSON (with --json) or as the text `human` renders. */
  print(value: unknown, human: () => string): void;
  /** Asks a yes/no question on the terminal; false when there is no terminal. */
  confirm(question: string): Promise<boolean>;
}

/** Thrown for bad command-line input: printed as one line, exit code 1, nothing written. */
export class UsageError extends Error {}

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

/** Builds the runtime of one command from its global options. */
export function createCli(
  globals: GlobalOptions,
): Cli & { close(): Promise<void>; url(): string | undefined } {
  let queue: Queue | undefined;
  let options: QueueOptions | undefined;
  const resolveOptions = (): QueueOptions => {
    try {
      options ??= loadQueueOptions(
        {
          ...(globals.databaseUrl === undefined ? {} : { connectionString: globals.databaseUrl }),
          ...(globals.schema === undefined ? {} : { schema: globals.schema }),
          ...(globals.connectTimeoutMs === undefined
            ? {}
            : { connectTimeoutMs: globals.connectTimeoutMs }),
          ...(globals.pooler === undefined ? {} : { pooler: globals.pooler }),
        },
        globals.config === undefined ? {} : { file: globals.config },
      );
    } catch (error) {
      if (error instanceof ConfigurationError && error.field === 'connectionString') {
        // Said in the CLI's words: no database given anywhere, or a malformed --database-url.
        if (globals.databaseUrl !== undefined) {
          throw new UsageError(
            '--database-url is malformed: expected a PostgreSQL connection string such as postgres://user@host:5432/database',
          );
        }
        if (isPgPulseError(error, ErrorCode.configuration) && error.cause !== undefined) {
          throw error; // malformed, and the message names the variable or file that set it
        }
        throw new UsageError(
          'No database to connect to: pass --database-url, set PGPULSE_DATABASE_URL or DATABASE_URL, or set databaseUrl in the config file (--config, or ./pgpulse.yaml)',
        );
      }
      throw error;
    }
    return options;
  };
  return {
    json: globals.json === true,
    queue(opts) {
      queue ??= new Queue({
        ...resolveOptions(),
        listen: opts?.listen ?? false,
        poolSize: 4,
        // The CLI reports failures itself, once: no warnings on the console while it runs.
        logger: { warn: () => undefined, error: () => undefined },
      });
      return queue;
    },
    connection() {
      const resolved = resolveOptions();
      return { url: resolved.connectionString ?? '', schema: resolved.schema ?? 'pgpulse' };
    },
    url() {
      try {
        return resolveOptions().connectionString;
      } catch {
        return undefined;
      }
    },
    schema() {
      try {
        return resolveOptions().schema ?? 'pgpulse';
      } catch {
        // No database configured: the schema may still be given.
        return globals.schema ?? (process.env.PGPULSE_SCHEMA || 'pgpulse');
      }
    },
    print(value, human) {
      process.stdout.write(
        globals.json === true ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`,
      );
    },
    async confirm(question) {
      if (!process.stdin.isTTY) return false;
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        const answer = await rl.question(`${question} [y/N] `);
        return /^y(es)?$/i.test(answer.trim());
      } finally {
        rl.close();
      }
    },
    async close() {
      await queue?.close();
    },
  };
}

/**
 * Runs a command's body with a runtime, then closes it. A failure prints one line on stderr
 * (passwords hidden) and sets exit code 1.
 */
export async function runCommand(
  globals: GlobalOptions,
  body: (cli: Cli) => Promise<void>,
): Promise<void> {
  const cli = createCli(globals);
  try {
    await body(cli);
  } catch (error) {
    const url = cli.url();
    const schema = cli.schema();
    process.stderr.write(
      `pgpulse: ${redact(describeFailure(error, { url, schema }), url ? [url] : [])}\n`,
    );
    process.exitCode = 1;
  } finally {
    await cli.close().catch(() => undefined);
  }
}
