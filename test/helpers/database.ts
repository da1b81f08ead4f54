import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { dropScratchDatabase } from '../../src/dev/database.js';

/** A database of its own for one test file. */
export interface TestDatabase {
  /** Connection string to this database. */
  readonly url: string;
  readonly name: string;
  /** Drops the database, closing any connection still open to it. */
  drop(): Promise<void>;
}

/** The SQLSTATE PostgreSQL gives when a template is busy being copied by someone else. */
const OBJECT_IN_USE = '55006';

/**
 * Creates a database for one test file: a clone of the migrated template, or, with
 * `migrated: false`, an empty one.
 */
export async function createTestDatabase(
  options: { migrated?: boolean } = {},
): Promise<TestDatabase> {
  const adminUrl = inject('adminUrl');
  const name = `pgpulse_test_${randomBytes(6).toString('hex')}`;
  const template = options.migrated === false ? 'template1' : inject('templateDatabase');
  await withAdmin(adminUrl, async (admin) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== OBJECT_IN_USE || attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      }
    }
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => withAdmin(adminUrl, (admin) => dropScratchDatabase(admin, name)),
  };
}

async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}
