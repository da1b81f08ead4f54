import { expect, test } from 'vitest';
import { Queue } from '../../src/index.js';

// Regression: `queue.options` is public, and held the connection strings as given, password and
// all: logging the options (a common debugging step) leaked the database password.
test('queue.options shows every connection string without its password', async () => {
  const queue = new Queue({
    connectionString: 'postgres://app:s3cret@db.internal:5432/app',
    listenConnectionString: 'postgresql://listener:hunter2@db.internal/app',
  });
  try {
    const shown = JSON.stringify(queue.options);
    expect(shown).not.toContain('s3cret');
    expect(shown).not.toContain('hunter2');
    expect(queue.options.connection).toMatchObject({
      kind: 'url',
      connectionString: 'postgres://app:***@db.internal:5432/app',
    });
    expect(queue.options.listenConnectionString).toBe('postgresql://listener:***@db.internal/app');
    expect(Object.isFrozen(queue.options)).toBe(true);
  } finally {
    await queue.close();
  }
});

test('a password given as a query parameter is hidden too, and a string without one is kept', async () => {
  const withQuery = new Queue({
    connectionString: 'postgres://app@db/app?password=s3cret&sslmode=require',
  });
  const without = new Queue({ connectionString: 'postgres://app@db:5432/app' });
  try {
    expect(JSON.stringify(withQuery.options)).not.toContain('s3cret');
    expect(withQuery.options.connection).toMatchObject({
      connectionString: expect.stringContaining('sslmode=require'),
    });
    expect(without.options.connection).toMatchObject({
      connectionString: 'postgres://app@db:5432/app',
    });
  } finally {
    await withQuery.close();
    await without.close();
  }
});
