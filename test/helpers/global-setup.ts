import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { dropScratchDatabase, startDevDatabase } from '../../src/dev/database.js';
import { migrate } from '../../src/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser connection string to the test server's `postgres` database. */
    adminUrl: string;
    /** A database with the pgpulse schema installed, cloned by each test file. */
    templateDatabase: string;
    /** Which provider supplied the server. */
    databaseProvider: string;
  }
}

/** Starts (or finds) one PostgreSQL server for the whole run and prepares the template. */
export default async function setup(project: TestProject) {
  const server = await startDevDatabase({
    envVars: ['PGPULSE_TEST_DATABASE_URL', 'DATABASE_URL'],
    fast: true,
  });
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  const { rows } = await admin.query<{ server_version: string }>('SHOW server_version');
  console.log(`pgpulse tests: PostgreSQL ${rows[0]?.server_version} from ${server.description}`);

  const template = `pgpulse_template_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${template}`);
  const templateUrl = new URL(server.url);
  templateUrl.pathname = `/${template}`;
  await migrate(templateUrl.toString());

  project.provide('adminUrl', server.url);
  project.provide('templateDatabase', template);
  project.provide('databaseProvider', server.provider);

  return async () => {
    await dropScratchDatabase(admin, template);
    await admin.end();
    await server.stop();
  };
}
