import { invalid } from '../kernel/validate.js';

/** Reserved by PostgreSQL: `public` and `none` even quoted, `pg_*` for predefined roles. */
const RESERVED_ROLES = new Set(['public', 'none']);

/**
 * A role name as PostgreSQL takes it: 1 to 63 bytes, no NUL; any other character is fine, since
 * it is only ever written as a quoted identifier. `public` is refused: granting to everyone is
 * not least privilege.
 *
 * @throws ValidationError naming `role`.
 */
export function checkRoleName(role: unknown): string {
  if (
    typeof role !== 'string' ||
    role.length === 0 ||
    Buffer.byteLength(role, 'utf8') > 63 ||
    role.includes('\u0000') ||
    RESERVED_ROLES.has(role) ||
    role.startsWith('pg_')
  ) {
    throw invalid(
      'role',
      'a role name of 1 to 63 bytes, without NUL, other than `public`, `none` and `pg_*`',
      role,
    );
  }
  return role;
}

/** A PostgreSQL identifier, quoted: `my "role"` becomes `"my ""role"""`. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
