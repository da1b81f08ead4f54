import type pg from 'pg';
import { waitFor } from './wait.js';

/**
 * Holds an ACCESS EXCLUSIVE lock on `table` on a connection of its own, so that any statement
 * touching it waits: a way to catch a statement of pgpulse's in the middle, and end its
 * connection there with {@link terminateWaiting}.
 */
export async function lockTable(
  sql: pg.Pool,
  table: string,
): Promise<{ release(): Promise<void> }> {
  const client = await sql.connect();
  client.on('error', () => undefined);
  await client.query('BEGIN');
  await client.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      await client.query('COMMIT');
      client.release();
    },
  };
}

/**
 * Waits until a backend of this database runs a statement whose text contains `marker` and is
 * waiting for a lock, then terminates it (`pg_terminate_backend`: what a server restart or a
 * network cut does to a connection). Returns how many it terminated.
 */
export async function terminateWaiting(sql: pg.Pool, marker: string): Promise<number> {
  const find = `
    SELECT pid FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid()
      AND wait_event_type = 'Lock' AND position($1 in query) > 0`;
  let pids: number[] = [];
  await waitFor(
    async () => {
      pids = (await sql.query<{ pid: number }>(find, [marker])).rows.map((row) => row.pid);
      return pids.length > 0;
    },
    `a statement containing ${JSON.stringify(marker)} to wait for its lock`,
  );
  for (const pid of pids) await sql.query('SELECT pg_terminate_backend($1)', [pid]);
  return pids.length;
}
