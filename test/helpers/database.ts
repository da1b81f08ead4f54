import pg from 'pg';
import { afterAll, inject } from 'vitest';
import type { QueueOptions } from '../../src/config/options.js';
import { Queue } from '../../src/queue.js';
import {
  createTestDatabase as createDatabase,
  type TestDatabase,
} from '../../src/testing/index.js';

export type { TestDatabase } from '../../src/testing/index.js';

/**
 * Creates a database for one test file (pgpulse/testing's createTestDatabase): a clone of the
 * migrated template, or, with `migrated: false`, an empty one.
 */
export function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  return createDatabase(inject('testServer'), options);
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
