import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../src/dev/local-server.js';
import { waitFor } from './wait.js';

/**
 * A real PgBouncer in transaction mode in front of the test server, for the tests of running
 * behind a pooler. Run as the `postgres` OS user when we are root (PgBouncer refuses root), in the
 * foreground as our child, with its config, auth file, pid and log in a temporary directory.
 */
export interface PgBouncer {
  /** The pooler's port on 127.0.0.1. */
  readonly port: number;
  /** A connection string through the pooler to `database` (a name in `[databases]`, or any). */
  url(database: string): string;
  /** A connection to PgBouncer's admin console (`SHOW STATS`, `SHOW CLIENTS`...). */
  admin(): Promise<pg.Client>;
  /** Stops PgBouncer and deletes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startPgBouncer}. */
export interface PgBouncerOptions {
  /** Extra `[databases]` entries: alias → database on the server (fresh pools of their own). */
  aliases?: Readonly<Record<string, string>>;
  /** More `[pgbouncer]` settings, or overrides of ours. */
  settings?: Readonly<Record<string, string>>;
}

const SEARCH_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin'];

/** The `pgbouncer` binary: `$PGPULSE_PGBOUNCER`, else on the PATH or in the sbin folders. */
function findBinary(): string | undefined {
  const given = process.env.PGPULSE_PGBOUNCER;
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...SEARCH_DIRS].filter(Boolean);
  const candidates = given ? [given] : dirs.map((dir) => join(dir, 'pgbouncer'));
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The binary found, or undefined. */
export const pgbouncerBinary: string | undefined = findBinary();

/**
 * Why the PgBouncer tests cannot run here, or undefined when they can. Printed by the test file
 * that skips, so a skip is never silent.
 */
export const pgbouncerUnavailable: string | undefined =
  pgbouncerBinary === undefined
    ? 'no pgbouncer binary (install the Debian package `pgbouncer`, as .ci/run does, or set ' +
      'PGPULSE_PGBOUNCER to its path)'
    : undefined;

/** The OS user PgBouncer runs as: ourselves, or `postgres` when we are root. */
function runAsIds(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error(
      'PgBouncer refuses to run as root, and there is no `postgres` OS user to run it as',
    );
  }
}

/**
 * Children still running, with their directories: killed and deleted synchronously if the test
 * process exits without stopping them.
 */
const running = new Map<ChildProcess, string>();
let exitHookInstalled = false;

/**
 * Starts PgBouncer in transaction mode in front of the server of `serverUrl` (a superuser URL with
 * a password: the auth file holds that user and password), on a free port, and resolves once it
 * accepts connections to `database` through to the server.
 */
export async function startPgBouncer(
  serverUrl: string,
  database: string,
  options: PgBouncerOptions = {},
): Promise<PgBouncer> {
  const binary = pgbouncerBinary;
  if (binary === undefined) throw new Error(pgbouncerUnavailable);
  const server = new URL(serverUrl);
  const user = decodeURIComponent(server.username);
  const password = decodeURIComponent(server.password);
  const ids = runAsIds();
  const dir = await mkdtemp(join(tmpdir(), 'pgpulse-pgbouncer-'));
  chmodSync(dir, 0o700);
  if (ids.uid !== undefined && ids.gid !== undefined) chownSync(dir, ids.uid, ids.gid);
  const port = await freePort();
  const target = `host=${server.hostname} port=${server.port || '5432'}`;
  const aliases = Object.entries(options.aliases ?? {}).map(
    ([alias, name]) => `${alias} = ${target} dbname=${name}`,
  );
  const settings: Record<string, string> = {
    listen_addr: '127.0.0.1',
    listen_port: String(port),
    unix_socket_dir: '',
    pool_mode: 'transaction',
    auth_type: 'md5',
    auth_file: join(dir, 'userlist.txt'),
    admin_users: user,
    stats_users: user,
    logfile: join(dir, 'pgbouncer.log'),
    pidfile: join(dir, 'pgbouncer.pid'),
    // Few server connections for many clients: the point of a transaction pooler.
    default_pool_size: '4',
    max_client_conn: '500',
    // Reuse the most recently used server connection first (the default, said out loud: the
    // prepared-statement test relies on it).
    server_round_robin: '0',
    log_connections: '0',
    log_disconnections: '0',
    ...options.settings,
  };
  const ini = [
    '[databases]',
    ...aliases,
    `* = ${target}`,
    '',
    '[pgbouncer]',
    ...Object.entries(settings).map(([key, value]) => `${key} = ${value}`),
    '',
  ].join('\n');
  const quote = (text: string) => `"${text.replace(/"/g, '""')}"`;
  await writeFile(join(dir, 'userlist.txt'), `${quote(user)} ${quote(password)}\n`, {
    mode: 0o600,
  });
  await writeFile(join(dir, 'pgbouncer.ini'), ini, { mode: 0o600 });
  if (ids.uid !== undefined && ids.gid !== undefined) {
    for (const file of ['userlist.txt', 'pgbouncer.ini']) {
      chownSync(join(dir, file), ids.uid, ids.gid);
    }
  }

  const child = spawn(binary, [join(dir, 'pgbouncer.ini')], {
    ...ids,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  running.set(child, dir);
  installExitHook();
  const log = () => {
    let text = stderr;
    try {
      text += readFileSync(settings.logfile ?? '', 'utf8');
    } catch {
      // no log yet
    }
    return text.trim().split('\n').slice(-15).join('\n');
  };

  const url = (name: string) => {
    const through = new URL(serverUrl);
    through.hostname = '127.0.0.1';
    through.port = String(port);
    through.pathname = `/${name}`;
    return through.toString();
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      // SIGTERM: immediate shutdown. SIGKILL if it has not exited in a while.
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(kill);
    }
    running.delete(child);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`PgBouncer exited at start-up:\n${log()}`);
        }
        const probe = new pg.Client({ connectionString: url(database) });
        probe.on('error', () => undefined);
        try {
          await probe.connect();
          await probe.query('SELECT 1');
          return true;
        } catch {
          return false;
        } finally {
          await probe.end().catch(() => undefined);
        }
      },
      'PgBouncer to accept connections',
      30_000,
    );
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${log()}`, { cause: error });
  }

  return {
    port,
    url,
    admin: async () => {
      const client = new pg.Client({ connectionString: url('pgbouncer') });
      await client.connect();
      return client;
    },
    stop,
  };
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const [child, dir] of running) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
