import type { Command } from 'commander';
import { latestVersion } from '../../db/migrations.js';
import { migrate, planMigrations, uninstall } from '../../schema/migrate.js';
import { type GlobalOptions, runCommand, UsageError } from '../runtime.js';

/** A migration as its file is named: `0007_claim_plan_cache`. */
function label(migration: { id: number; name: string }): string {
  return `${String(migration.id).padStart(4, '0')}_${migration.name}`;
}

/** `pgpulse migrate` and `pgpulse uninstall`. */
export function schemaCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('migrate')
    .description('Install or upgrade the pgpulse schema (safe to run from many places at once)')
    .option('--dry-run', 'print the SQL that would run, change nothing')
    .addHelpText(
      'after',
      '\nExamples:\n  pgpulse migrate\n  pgpulse migrate --dry-run > upgrade.sql\n  pgpulse --schema jobs migrate',
    )
    .action((options: { dryRun?: boolean }) =>
      runCommand(globals(), async (cli) => {
        const { url, schema } = cli.connection();
        if (options.dryRun) {
          const plan = await planMigrations(url, { schema });
          cli.print(plan, () =>
            plan.pending.length === 0
              ? `-- schema ${schema} is at version ${plan.fromVersion}: nothing to apply`
              : [
                  `-- schema ${schema}: version ${plan.fromVersion} -> ${plan.toVersion}`,
                  `-- (migrate runs these in one transaction and records each in ${schema}.migrations)`,
                  ...plan.pending.map((m) => `\n-- ${label(m)}\n${m.sql.trim()}`),
                ].join('\n'),
          );
          return;
        }
        const result = await migrate(url, { schema });
        cli.print(result, () =>
          result.toVersion > latestVersion()
            ? `Schema ${schema} is at version ${result.toVersion}, newer than this pgpulse's ${latestVersion()} but compatible with it: nothing to apply.`
            : result.applied.length === 0
              ? `Schema ${schema} is up to date (version ${result.toVersion}).`
              : `Schema ${schema}: version ${result.fromVersion} -> ${result.toVersion}, applied ${result.applied
                  .map(label)
                  .join(', ')}.`,
        );
      }),
    );

  program
    .command('uninstall')
    .description('Drop the pgpulse schema with every job, archive and setting in it')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText(
      'after',
      '\nExamples:\n  pgpulse uninstall\n  pgpulse --schema jobs uninstall --yes',
    )
    .action((options: { yes?: boolean }) =>
      runCommand(globals(), async (cli) => {
        const { url, schema } = cli.connection();
        if (!options.yes) {
          const sure = await cli.confirm(`Drop schema "${schema}" and every job in it?`);
          if (!sure) {
            throw new UsageError(
              `Not dropping schema "${schema}": confirm at the prompt, or pass --yes`,
            );
          }
        }
        const result = await uninstall(url, { schema });
        cli.print(result, () =>
          result.dropped ? `Dropped schema ${schema}.` : `There was no schema ${schema}.`,
        );
      }),
    );
}
