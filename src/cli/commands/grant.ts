import type { Command } from 'commander';
import { GRANT_SETS, type GrantSet } from '../../kernel/types.js';
import { grant } from '../../schema/grant.js';
import { grantStatements } from '../../schema/grants.js';
import { type GlobalOptions, runCommand, UsageError } from '../runtime.js';

/** `pgpulse grant <role>`: the GRANTs of least privilege, printed, or applied with --apply. */
export function grantCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('grant <role>')
    .description(
      'Print (or --apply) the GRANTs that let a database role produce, consume and/or administer queues, and nothing more',
    )
    .option('--produce', 'send jobs; read jobs and stats')
    .option(
      '--consume',
      'work, observe, workBatch, claim and settle, events, cancel, sweep; read jobs and stats',
    )
    .option(
      '--admin',
      'queue settings, pause, purge, delete, redrive, retention, cancel, events; read jobs and stats',
    )
    .option('--apply', 'run the statements (as the schema owner) instead of printing them')
    .addHelpText(
      'after',
      `
Printing needs no database. --apply needs a connection as the role that owns the schema (the
one that ran migrate); the role it grants to must exist.

Examples:
  pgpulse grant app --produce --consume
  pgpulse grant app --produce --consume --apply
  pgpulse --schema jobs grant ops --admin > grants.sql`,
    )
    .action((role: string, options: Partial<Record<GrantSet | 'apply', boolean>>) =>
      runCommand(globals(), async (cli) => {
        const sets = GRANT_SETS.filter((set) => options[set] === true);
        if (sets.length === 0) {
          throw new UsageError(
            'Say what the role may do: --produce, --consume and/or --admin (see pgpulse grant --help)',
          );
        }
        const chosen = Object.fromEntries(sets.map((set) => [set, true]));
        if (options.apply !== true) {
          const schema = cli.schema();
          const statements = grantStatements(role, { ...chosen, schema });
          cli.print({ role, schema, sets, statements, applied: false }, () =>
            [
              `-- pgpulse grant: what role ${JSON.stringify(role)} needs to ${sets.join(', ')} on schema ${schema}`,
              '-- (run as the role that owns the schema; or run this command with --apply)',
              ...statements.map((statement) => `${statement};`),
            ].join('\n'),
          );
          return;
        }
        const { url, schema } = cli.connection();
        const result = await grant(url, role, { ...chosen, schema });
        cli.print({ ...result, applied: true }, () => {
          const count = result.statements.length;
          return `Granted role ${JSON.stringify(role)} what it needs to ${sets.join(', ')} on schema ${schema} (${count} statements).`;
        });
      }),
    );
}
