import { afterAll, expect, test } from 'vitest';
import { Queue } from '../../src/index.js';
import { createTestDatabase } from '../helpers/database.js';
import { waitFor } from '../helpers/wait.js';

// Regression: the queue's pool bounded waiting for a free client by connectTimeoutMs, which is
// meant for opening a connection. At 2,000 sends a second (bench, issue 14) sends failed with
// "timeout exceeded when trying to connect" while every connection was busy and healthy. A call
// waits for the pool as long as it takes; only opening a connection is bounded.

const db = await createTestDatabase();
const queue = new Queue({
  connectionString: db.url,
  poolSize: 1,
  connectTimeoutMs: 250,
  listen: false,
});
afterAll(async () => {
  await queue.close();
  await db.drop();
});

test('a send waits for a busy pool longer than connectTimeoutMs, and goes through', async () => {
  // Open the one connection (under a loaded machine, opening may itself time out: try again).
  await waitFor(
    () =>
      queue.send('busy', { warm: true }).then(
        () => true,
        () => false,
      ),
    'the pool to open its connection',
  );
  const held = await queue.pool.connect();
  let sent: Promise<{ id: string }>;
  try {
    // The pool's only connection is busy four times longer than the connect timeout.
    const slow = held.query('SELECT pg_sleep(1)');
    sent = queue.send('busy', { waited: true });
    await waitFor(() => queue.pool.waitingCount === 1, 'the send to wait for the pool');
    await slow;
  } finally {
    held.release();
  }
  const { id } = await sent;
  expect((await queue.getJob(id))?.payload).toEqual({ waited: true });
});

test('opening a connection is still bounded: a silent host fails within connectTimeoutMs', async () => {
  const { createServer } = await import('node:net');
  const sockets: import('node:net').Socket[] = [];
  const hole = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve));
  const { port } = hole.address() as import('node:net').AddressInfo;
  const silent = new Queue({
    connectionString: `postgres://app:pw@127.0.0.1:${port}/jobs`,
    connectTimeoutMs: 200,
    listen: false,
  });
  try {
    await expect(silent.send('never', {})).rejects.toThrow(/timeout/);
  } finally {
    await silent.close();
    for (const socket of sockets) socket.destroy();
    hole.close();
  }
});
