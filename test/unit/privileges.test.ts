import { describe, expect, test } from 'vitest';
import { QUERY_NAMES } from '../../src/db/queries.js';
import { STATEMENT_GRANTS } from '../../src/db/statement-grants.js';
import { ConfigurationError, grantStatements, ValidationError } from '../../src/index.js';

describe('grantStatements', () => {
  test('one statement per object, sets merged, a whole-table grant winning over columns', () => {
    const produce = grantStatements('app', { produce: true });
    expect(produce).toContain('GRANT USAGE ON SCHEMA "pgpulse" TO "app"');
    expect(produce).toContain(
      'GRANT SELECT, INSERT, UPDATE (payload, run_at, updated_at, idempotency_key) ON TABLE "pgpulse".jobs TO "app"',
    );
    expect(produce.some((s) => s.includes('event_watchers'))).toBe(false);
    const both = grantStatements('app', { produce: true, consume: true, schema: 'jobs' });
    expect(both).toContain('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE "jobs".jobs TO "app"');
    expect(both).toContain(
      'GRANT SELECT, UPDATE (rate_tokens, rate_updated_at) ON TABLE "jobs".queues TO "app"',
    );
    expect(new Set(both).size).toBe(both.length);
    const everything = grantStatements('app', { produce: true, consume: true, admin: true });
    expect(everything).toContain(
      'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE "pgpulse".queues TO "app"',
    );
  });

  test('quotes the role, whatever it holds', () => {
    const [first] = grantStatements('x"; DROP TABLE t; --', { admin: true });
    expect(first).toBe('GRANT USAGE ON SCHEMA "pgpulse" TO "x""; DROP TABLE t; --"');
    expect(grantStatements('Ünïcode role', { admin: true })[0]).toMatch(/TO "Ünïcode role"$/);
  });

  test.each([
    ['', 'role'],
    ['public', 'role'],
    ['pg_monitor', 'role'],
    ['a'.repeat(64), 'role'],
    ['nul\u0000', 'role'],
  ])('refuses the role %j', (role, field) => {
    expect(() => grantStatements(role, { produce: true })).toThrow(ValidationError);
    expect(() => grantStatements(role, { produce: true })).toThrow(new RegExp(`\`${field}\``));
  });

  test('refuses no set, a non-boolean set, an unknown option and a bad schema', () => {
    expect(() => grantStatements('app', {})).toThrow(/at least one of/);
    expect(() => grantStatements('app', { produce: 'yes' as never })).toThrow(ValidationError);
    expect(() => grantStatements('app', { produce: true, write: true } as never)).toThrow(
      ValidationError,
    );
    expect(() => grantStatements('app', { produce: true, schema: 'x; --' })).toThrow(
      ConfigurationError,
    );
  });

  test('every statement says which sets allow it', () => {
    expect(Object.keys(STATEMENT_GRANTS).sort()).toEqual([...QUERY_NAMES].sort());
  });
});
