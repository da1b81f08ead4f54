import { Command, Option } from 'commander';
import { POOLER_MODES } from '../config/options.js';
import { dashboardCommand } from './commands/dashboard.js';
import { devCommands } from './commands/dev.js';
import { dlqCommands } from './commands/dlq.js';
import { flowCommands } from './commands/flows.js';
import { grantCommand } from './commands/grant.js';
import { jobCommands } from './commands/jobs.js';
import { queueCommands } from './commands/queues.js';
import { readCommand } from './commands/read.js';
import { scheduleCommands } from './commands/schedule.js';
import { schemaCommands } from './commands/schema.js';
import { watchCommand } from './commands/watch.js';
import { workCommand } from './commands/work.js';
import { workersCommand } from './commands/workers.js';
import { ExitCode } from './failures.js';
import { integer } from './parse.js';
import type { GlobalOptions } from './runtime.js';

/** The `pgpulse` command line. */
export function buildProgram(version: string): Command {
  const program = new Command('pgpulse')
    .description(
      'Operate pgpulse queues on PostgreSQL: schema, queues, jobs, dead letters, schedules, live view, workers',
    )
    .version(version)
    .option(
      '--database-url <url>',
      'PostgreSQL connection string (default: $PGPULSE_DATABASE_URL, else $DATABASE_URL, else the config file)',
    )
    .option(
      '--schema <name>',
      'pgpulse schema (default: $PGPULSE_SCHEMA, the config file, or pgpulse)',
    )
    .option(
      '--config <file>',
      'YAML config file (default: $PGPULSE_CONFIG, or ./pgpulse.yaml if present)',
    )
    .option('--json', 'print JSON for scripts instead of tables')
    .option(
      '--connect-timeout-ms <ms>',
      'give up connecting after this many ms (default: 10000)',
      integer('--connect-timeout-ms', 1),
    )
    .addOption(
      new Option(
        '--pooler <mode>',
        'the pool mode of a pooler (PgBouncer) the connection goes through (default: $PGPULSE_POOLER, the config file, or none)',
      ).choices(POOLER_MODES),
    )
    // Bad input is one line on stderr, like every other failure: no usage dump after it; with
    // --json, one JSON line. Its exit status is the usage class's (main.ts), as for UsageError.
    .configureOutput({
      outputError: (text, write) => {
        const message = text.replace(/^error: /, '').trim();
        write(
          process.argv.includes('--json')
            ? `${JSON.stringify({ error: { kind: 'usage', exitCode: ExitCode.usage, message } })}\n`
            : `pgpulse: ${message}\n`,
        );
      },
    })
    // Parse errors throw (exit status decided in main.ts); set before the commands inherit it.
    .exitOverride()
    .addHelpText(
      'after',
      `
The connection comes from --database-url, else PGPULSE_DATABASE_URL or DATABASE_URL, else the
config file; a password is never printed. A failure prints one line on stderr (one JSON line with
--json) and exits with a status that says its class, having written nothing when the input was
bad: 1 other failure, 2 bad arguments or configuration, 3 database unreachable, 4 schema not
installed or incompatible, 5 permission denied, 6 no such job or queue, 7 refused by the job's or
queue's state, 130 a second signal stopped \`work\`.

Examples:
  pgpulse migrate
  pgpulse grant app --produce --consume --apply
  pgpulse queue list
  pgpulse job send emails '{"to":"ada@example.com"}' --delay-ms 5000
  pgpulse dlq redrive emails
  pgpulse schedule set nightly --queue reports --cron '0 30 2 * * *' --timezone Europe/Berlin
  pgpulse flow show 0193c5f2-6a4e-7d1c-9b0a-3f1e2d4c5b6a
  pgpulse watch emails
  pgpulse work ./jobs.mjs --queue emails`,
    );
  const globals = () => program.opts<GlobalOptions>();
  schemaCommands(program, globals);
  grantCommand(program, globals);
  queueCommands(program, globals);
  jobCommands(program, globals);
  dlqCommands(program, globals);
  scheduleCommands(program, globals);
  flowCommands(program, globals);
  readCommand(program, globals);
  watchCommand(program, globals);
  dashboardCommand(program, globals);
  workCommand(program, globals);
  workersCommand(program, globals);
  devCommands(program, globals);
  return program;
}
