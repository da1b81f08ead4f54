import { PermissionError } from '../kernel/errors.js';
import type { GrantSet } from '../kernel/types.js';
import type { QueryName } from './queries.js';
import { STATEMENT_GRANTS } from './statement-grants.js';

/** How a command line names the sets that would allow an operation: `--consume or --admin`. */
export function describeGrants(role: string | undefined, grants: readonly GrantSet[]): string {
  const flags = grants.map((set) => `--${set}`);
  const choice =
    flags.length <= 1 ? flags.join('') : `${flags.slice(0, -1).join(', ')} or ${flags.at(-1)}`;
  const name = role === undefined ? '<role>' : shellWord(role);
  return `\`pgpulse grant ${name} ${choice}\` (or grant() from code)`;
}

/** A word the shell passes through unchanged. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_.@-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The error for a statement refused for lack of privilege: it names the role, what was refused
 * and the grant that would allow it.
 */
export function statementPermissionError(
  cause: unknown,
  details: { role: string | undefined; operation: QueryName; schema: string },
): PermissionError {
  const grants = STATEMENT_GRANTS[details.operation];
  const reason = cause instanceof Error ? cause.message : String(cause);
  const who = details.role === undefined ? 'The database role' : `Database role "${details.role}"`;
  const fix =
    grants.length === 0
      ? "run it as the schema's owner (the role that ran migrate())"
      : `grant the role what it needs: ${describeGrants(details.role, grants)}`;
  return new PermissionError(
    `${who} may not do this on pgpulse schema "${details.schema}" (${reason}, in ${details.operation}): ${fix}`,
    { cause, role: details.role, operation: details.operation, grants },
  );
}
