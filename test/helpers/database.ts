import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import type { QueueOptions } from '../../src/config/options.js';
import { dropScratchDatabase } from '../../src/dev/database.js';
import { Queue } from '../../src/queue.js';

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

/** What most integration test files start from. */
export interface TestQueue {
  readonly db: TestDatabase;
  /** A pool for raw SQL: checking rows, and changing them behind the queue's back. */
  readonly sql: pg.Pool;
  readonly queue: Queue;
}

/**
 * A test file's own database, a pool on it for raw SQL and a queue (with `options`), all closed
 * and dropped after the file's tests.
 */
export async function useTestQueue(
  options: Omit<QueueOptions, 'connectionString' | 'pool'> = {},
): Promise<TestQueue> {
  const db = await createTestDatabase();
  const sql = new pg.Pool({ connectionString: db.url });
  const queue = new Queue({ ...options, connectionString: db.url });
  afterAll(async () => {
    await queue.close();
    await sql.end();
    await db.drop();
  });
  return { db, sql, queue };
}

/**
 * Runs an UPDATE written against `pgpulse.jobs` on both tables jobs live in: `jobs` (unfinished
 * and dead jobs) and `jobs_done` (completed and cancelled ones). For tests that date jobs back.
 */
export async function updateJobs(
  sql: pg.Pool,
  text: string,
  values: unknown[] = [],
): Promise<number> {
  let changed = 0;
  for (const table of ['pgpulse.jobs', 'pgpulse.jobs_done']) {
    const result = await sql.query(text.replaceAll('pgpulse.jobs', table), values);
    changed += result.rowCount ?? 0;
  }
  return changed;
}
