import { describe, expect, test } from 'vitest';
import { QueueClosedError, type SqlExecutor } from '../../src/index.js';
import { useTestQueue } from '../helpers/database.js';

const { sql, queue } = await useTestQueue();

async function count(queueName: string): Promise<number> {
  const { rows } = await sql.query('SELECT count(*)::int AS n FROM pgpulse.jobs WHERE queue = $1', [
    queueName,
  ]);
  return rows[0].n;
}

describe('withTransaction', () => {
  test('a send in a committed transaction exists; in a rolled-back one, nothing does', async () => {
    await sql.query('CREATE TABLE IF NOT EXISTS orders (id serial PRIMARY KEY, total int)');
    const committed = await queue.withTransaction(async (client) => {
      await client.query('INSERT INTO orders (total) VALUES (42)');
      const sent = await queue.send('tx-commit', { order: 42 }, { client });
      await queue.sendBatch('tx-commit', [{ payload: 1 }, { payload: 2 }], { client });
      // Not visible outside the transaction before it commits.
      expect(await count('tx-commit')).toBe(0);
      return sent.id;
    });
    expect((await queue.getJob(committed))?.state).toBe('pending');
    expect(await count('tx-commit')).toBe(3);

    const failure = new Error('the order failed');
    await expect(
      queue.withTransaction(async (client) => {
        await client.query('INSERT INTO orders (total) VALUES (7)');
        await queue.send('tx-rollback', { order: 7 }, { client });
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await count('tx-rollback')).toBe(0);
    const { rows } = await sql.query('SELECT count(*)::int AS n FROM orders WHERE total = 7');
    expect(rows[0].n).toBe(0);
  });

  test('a failed statement rolls back, and the client goes back to the pool usable', async () => {
    const before = queue.pool.totalCount;
    await expect(
      queue.withTransaction(async (client) => {
        await queue.send('tx-broken', {}, { client });
        await client.query('SELECT 1/0');
      }),
    ).rejects.toMatchObject({ code: '22012' });
    expect(await count('tx-broken')).toBe(0);
    // The pool is fine: the next transaction works (on the same connection or another).
    await queue.withTransaction(async (client) => queue.send('tx-broken', {}, { client }));
    expect(await count('tx-broken')).toBe(1);
    expect(queue.pool.totalCount).toBeGreaterThanOrEqual(Math.min(before, 1));
  });
});

describe('send on an executor that is not node-postgres', () => {
  /**
   * The shape of an adapter over another library's transaction: only `query(text, values)`
   * returning `{ rows }`, here over a pg client held in a transaction. It refuses anything else
   * (a named statement config), as another driver would.
   */
  function adapter(client: {
    query(text: string, values: unknown[]): Promise<{ rows: unknown[] }>;
  }) {
    const statements: string[] = [];
    const executor: SqlExecutor = {
      async query(text, values) {
        if (typeof text !== 'string') throw new TypeError('text only');
        statements.push(text);
        const { rows } = await client.query(text, values);
        return { rows: rows.map((row) => ({ ...(row as object) })) };
      },
    };
    return { executor, statements };
  }

  test('send and sendBatch run on it, inside its transaction', async () => {
    const client = await sql.connect();
    try {
      await client.query('BEGIN');
      const { executor, statements } = adapter(client);
      const one = await queue.send('tx-adapter', { n: 1 }, { client: executor });
      const keyed = await queue.send(
        'tx-adapter',
        { n: 2 },
        { client: executor, idempotencyKey: 'k' },
      );
      const again = await queue.send(
        'tx-adapter',
        { n: 3 },
        { client: executor, idempotencyKey: 'k' },
      );
      const batch = await queue.sendBatch('tx-adapter', [{ payload: 4 }, { payload: 5 }], {
        client: executor,
      });
      expect(again).toEqual({ id: keyed.id, duplicate: true, replaced: false });
      expect(statements).toHaveLength(4);
      await client.query('ROLLBACK');
      expect(await count('tx-adapter')).toBe(0);

      await client.query('BEGIN');
      const kept = await queue.send('tx-adapter', { n: 6 }, { client: executor });
      await client.query('COMMIT');
      expect((await queue.getJob(kept.id))?.payload).toEqual({ n: 6 });
      expect(await queue.getJob(one.id)).toBeNull();
      expect(batch).toHaveLength(2);
    } finally {
      client.release();
    }
  });

  test('something without query(text, values) is refused before anything is sent', async () => {
    await expect(queue.send('tx-adapter', {}, { client: {} as SqlExecutor })).rejects.toMatchObject(
      {
        field: 'client',
      },
    );
  });
});

test('withTransaction after close() is refused', async () => {
  const { queue: closing } = await useTestQueue();
  await closing.close();
  await expect(closing.withTransaction(async () => undefined)).rejects.toBeInstanceOf(
    QueueClosedError,
  );
});
