import type { TestProject } from 'vitest/node';
import { startTestDatabase, type TestServerInfo } from '../../src/testing/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser connection string to the test server's `postgres` database. */
    adminUrl: string;
    /** A database with the pgpulse schema installed, cloned by each test file. */
    templateDatabase: string;
    /** Which provider supplied the server. */
    databaseProvider: string;
    /** What pgpulse/testing's createTestDatabase() needs. */
    testServer: TestServerInfo;
  }
}

/**
 * Starts (or finds) one PostgreSQL server for the whole run and prepares the template, through
 * pgpulse/testing: the project's own tests use what its users get.
 */
export default async function setup(project: TestProject) {
  const server = await startTestDatabase();
  console.log(`pgpulse tests: PostgreSQL ${server.serverVersion} from ${server.description}`);
  project.provide('adminUrl', server.adminUrl);
  project.provide('templateDatabase', server.template);
  project.provide('databaseProvider', server.provider);
  project.provide('testServer', server.info);
  return () => server.stop();
}
