import type pg from 'pg';
import { roleOf, translateError } from '../db/execute.js';
import { withSession } from '../db/session.js';
import { SqlState, sqlStateOf } from '../db/sqlstate.js';
import { PermissionError, ValidationError } from '../kernel/errors.js';
import type { GrantSet } from '../kernel/types.js';
import { type GrantOptions, resolveGrant, statementsFor } from './grants.js';

/** What {@link grant} did. */
export interface GrantResult {
  role: string;
  schema: string;
  sets: GrantSet[];
  /** The statements it ran, as {@link grantStatements} returns them. */
  statements: string[];
}

/** WARNING `privilege_not_granted`: the granting role held the privilege without grant option. */
const NOT_GRANTED = '01007';
/** `undefined_object`: in a GRANT, the grantee does not exist. */
const UNDEFINED_OBJECT = '42704';

/**
 * Grants `role` what producing, consuming and/or administering queues in the schema needs (the
 * statements of {@link grantStatements}), in one transaction. Run it as the schema's owner, the
 * role that ran `migrate()`, after every migration: a later migration that adds objects says so
 * in its release notes, and running `grant` again is harmless.
 *
 * These are statements, not a bind-parameter query: GRANT takes no parameters. The role name is
 * checked and written only as a quoted identifier; the schema name is the validated one.
 *
 * @param target - a connection string, a `pg.Pool`, or a connected `pg.Client` (not inside a
 *   transaction), as the schema's owner.
 * @throws ValidationError for a bad role name or options, or a role that does not exist.
 * @throws PermissionError when the connected role may not grant these privileges (it does not
 *   own the schema); nothing was granted.
 * @throws SchemaVersionError when the schema is not installed or older than this code.
 * @example
 * ```ts
 * await grant(ownerUrl, 'app', { produce: true, consume: true });
 * ```
 */
export async function grant(
  target: string | pg.Pool | pg.Client,
  role: string,
  options: GrantOptions,
): Promise<GrantResult> {
  const resolved = resolveGrant(role, options);
  const statements = statementsFor(resolved);
  await withSession(target, async (client) => {
    // A role without grant option gets a warning per statement, not an error: collect them.
    const refused: { code?: string | undefined; message?: string | undefined }[] = [];
    const onNotice = (notice: { code?: string | undefined; message?: string | undefined }) => {
      if (notice.code === NOT_GRANTED) refused.push(notice);
    };
    client.on('notice', onNotice);
    try {
      await client.query('BEGIN');
      for (const statement of statements) await client.query(statement);
      if (refused.length === 0) {
        await client.query('COMMIT');
        return;
      }
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw await grantError(error, client, resolved.role, resolved.schema);
    } finally {
      client.removeListener('notice', onNotice);
    }
    await client.query('ROLLBACK');
    throw await notGrantable(refused[0], client, resolved.schema);
  });
  return { role: resolved.role, schema: resolved.schema, sets: [...resolved.sets], statements };
}

async function grantError(
  error: unknown,
  client: pg.ClientBase,
  grantee: string,
  schema: string,
): Promise<unknown> {
  switch (sqlStateOf(error)) {
    case SqlState.insufficientPrivilege:
      return notGrantable(error, client, schema);
    case UNDEFINED_OBJECT:
      return new ValidationError(
        'role',
        `Role ${JSON.stringify(grantee)} does not exist: create it first (CREATE ROLE ... LOGIN)`,
        { cause: error },
      );
    default:
      return translateError(error, schema);
  }
}

/** The error for a role that may not grant: it does not own the schema, or lacks grant option. */
async function notGrantable(
  cause: unknown,
  client: pg.ClientBase,
  schema: string,
): Promise<PermissionError> {
  const role = await roleOf(client, schema);
  const who = role === undefined ? 'The database role' : `Database role "${role}"`;
  const reason = (cause as { message?: unknown } | undefined)?.message;
  return new PermissionError(
    `${who} may not grant privileges on pgpulse schema "${schema}" (${String(reason)}): run ` +
      'grant (`pgpulse grant --apply`) as the role that owns the schema (the one that ran migrate)',
    { cause, role, operation: 'grant', grants: [] },
  );
}
