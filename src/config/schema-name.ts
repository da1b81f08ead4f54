import { ConfigurationError } from '../kernel/errors.js';
import { show } from '../kernel/validate.js';

/**
 * A schema name pgpulse accepts: lowercase letters, digits and `_`, starting with a letter or
 * `_`, at most 48 characters (so `<schema>.events`, and a listener's `<schema>.probe.<8 hex>`, fit PostgreSQL's 63-byte
 * channel names),
 * and not `pg_...`, which PostgreSQL reserves. Such a name is safe both quoted as an identifier
 * and bare inside a string literal, which is all the SQL files ever do with it.
 */
const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,47}$/;

/**
 * Validates a schema name before any SQL is built with it.
 *
 * @throws ConfigurationError for anything else: nothing has been sent to the database.
 */
export function checkSchemaName(value: unknown): string {
  if (typeof value !== 'string' || !SCHEMA_PATTERN.test(value) || value.startsWith('pg_')) {
    throw new ConfigurationError(
      `Expected \`schema\` to be a name of 1 to 48 lowercase letters, digits or \`_\`, ` +
        `not starting with a digit or \`pg_\`, got \`${show(value)}\``,
      { field: 'schema' },
    );
  }
  return value;
}
