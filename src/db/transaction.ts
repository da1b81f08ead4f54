import type pg from 'pg';
import { listenForErrors } from './session.js';

/**
 * Runs `work` in a transaction on one client of `pool`: BEGIN, then COMMIT once `work` resolves,
 * or ROLLBACK when it rejects (or COMMIT fails), and the rejection passes on unchanged. The
 * client has an `'error'` listener while it is held, so a dropped connection rejects the work
 * instead of ending the process; a client whose connection failed, or whose ROLLBACK did, is
 * closed rather than handed to the next caller.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  const broken = listenForErrors(client);
  let unusable = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      unusable = true;
    });
    throw error;
  } finally {
    broken.stop();
    const reason = broken.error ?? (unusable ? true : undefined);
    client.release(reason instanceof Error ? reason : reason === undefined ? undefined : true);
  }
}
