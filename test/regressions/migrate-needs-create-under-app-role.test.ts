import { afterAll, expect, test } from 'vitest';
import { grant, migrate, Queue } from '../../src/index.js';
import { createTestDatabase } from '../helpers/database.js';
import { testRoles } from '../helpers/roles.js';

const db = await createTestDatabase();
const roles = testRoles(db);
afterAll(async () => {
  await roles.dropAll();
  await db.drop();
});

// Regression: migrate() always ran `CREATE SCHEMA IF NOT EXISTS` first, which needs CREATE on
// the database even when the schema exists, so the quick start's `await queue.migrate()` failed
// with "permission denied for database" under an application role, on a schema already current.
test('queue.migrate() on a current schema works under a role without CREATE', async () => {
  const app = await roles.create('app');
  await grant(db.url, app.name, { produce: true, consume: true });
  const queue = new Queue({ connectionString: app.url });
  try {
    expect((await queue.migrate()).applied).toEqual([]);
    expect((await migrate(app.url)).applied).toEqual([]);
    const { id } = await queue.send('after-migrate', {});
    expect(await queue.getJob(id)).toMatchObject({ state: 'pending' });
  } finally {
    await queue.close();
  }
});
