import { createInterface } from 'node:readline/promises';
import type { PoolerMode, QueueOptions } from '../config/options.js';
import { loadQueueOptions } from '../config/sources.js';
import { ConfigurationError, ErrorCode, isPgPulseError } from '../kernel/errors.js';
import { Queue } from '../queue.js';
import { describeFailure, exitCodeOf, failureJson, redact, UsageError } from './failures.js';

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

export { redact, UsageError } from './failures.js';

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
 * (passwords hidden; JSON with --json) and sets the exit code of its class (failures.ts).
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
    const message = redact(describeFailure(error, { url, schema }), url ? [url] : []);
    const exitCode = exitCodeOf(error);
    process.stderr.write(
      globals.json === true
        ? `${JSON.stringify(failureJson(error, message, exitCode))}\n`
        : `pgpulse: ${message}\n`,
    );
    process.exitCode = exitCode;
  } finally {
    await cli.close().catch(() => undefined);
  }
}
