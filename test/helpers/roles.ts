import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestDatabase } from './database.js';

/** A login role of the test server, and a connection string to the test database as it. */
export interface TestRole {
  readonly name: string;
  readonly url: string;
}

/** A role name as an identifier: any name, quoted. */
export function quoteRole(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Login roles for one test file. Roles belong to the whole server, not to the file's database:
 * each gets a random name, and `dropAll()` (call it after closing every connection as them)
 * drops what they own or were granted in the database, then the roles.
 */
export function testRoles(db: TestDatabase) {
  const prefix = `pgpulse_${randomBytes(4).toString('hex')}`;
  const created: string[] = [];
  const asSuperuser = async (work: (client: pg.Client) => Promise<void>) => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await work(client);
    } finally {
      await client.end();
    }
  };
  return {
    /** Creates `<random prefix>_<label>` (any characters), with `attributes` such as `CREATEDB`. */
    async create(label: string, attributes = ''): Promise<TestRole> {
      const name = `${prefix}_${label}`;
      const password = randomBytes(12).toString('hex');
      await asSuperuser((client) =>
        client
          .query(`CREATE ROLE ${quoteRole(name)} LOGIN PASSWORD '${password}' ${attributes}`)
          .then(() => undefined),
      );
      created.push(name);
      const url = new URL(db.url);
      url.username = name; // percent-encoded by URL, decoded by pg
      url.password = password;
      return { name, url: url.toString() };
    },
    /** Drops every role created here, with what it owns and was granted in the database. */
    async dropAll(): Promise<void> {
      await asSuperuser(async (client) => {
        for (const name of created.reverse()) {
          await client.query(`DROP OWNED BY ${quoteRole(name)} CASCADE`);
          await client.query(`DROP ROLE ${quoteRole(name)}`);
        }
      });
      created.length = 0;
    },
  };
}
