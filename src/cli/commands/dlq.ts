import type { Command } from 'commander';
import { brief, table } from '../format.js';
import { collect, integer } from '../parse.js';
import { type GlobalOptions, runCommand, UsageError } from '../runtime.js';
import { existing } from './queues.js';

/** `pgpulse dlq ...`: the dead letters of a queue. */
export function dlqCommands(program: Command, globals: () => GlobalOptions): void {
  const dlq = program.command('dlq').description('Dead jobs: list them, bring them back');

  dlq
    .command('list <queue>')
    .description('The dead jobs of a queue, newest first, with their last error')
    .option('--limit <n>', 'at most this many', integer('--limit', 1, 10_000), 50)
    .addHelpText('after', '\nExample:\n  pgpulse dlq list emails --limit 20')
    .action((name: string, flags: { limit: number }) =>
      runCommand(globals(), async (cli) => {
        await existing(cli, name);
        const jobs = await cli.queue().listJobs(name, { states: ['dead'], limit: flags.limit });
        cli.print(jobs, () =>
          table(
            ['id', 'name', 'attempts', 'died', 'last error'],
            jobs.map((job) => [
              job.id,
              job.name,
              `${job.attempts}/${job.maxAttempts}`,
              job.finishedAt?.toISOString() ?? '',
              brief(
                job.lastError === null ? '' : `${job.lastError.name}: ${job.lastError.message}`,
                60,
              ),
            ]),
          ),
        );
      }),
    );

  dlq
    .command('redrive <queue>')
    .description('Bring dead jobs back to pending with fresh attempts: all of them, or --id ones')
    .option('--id <id>', 'only this job (repeatable)', collect)
    .option('--limit <n>', 'at most this many', integer('--limit', 1, 100_000), 1000)
    .addHelpText(
      'after',
      '\nExamples:\n  pgpulse dlq redrive emails\n  pgpulse dlq redrive emails --id 0193c5f2-6a4e-7d1c-9b0a-3f1e2d4c5b6a',
    )
    .action((name: string, flags: { id?: string[]; limit: number }) =>
      runCommand(globals(), async (cli) => {
        await existing(cli, name);
        let ids: string[];
        try {
          ids = await cli.queue().redrive(name, {
            ...(flags.id === undefined ? {} : { ids: flags.id }),
            limit: flags.limit,
          });
        } catch (error) {
          if ((error as { field?: string }).field?.startsWith('ids[')) {
            throw new UsageError(`--id must be a job id (a UUID): ${(error as Error).message}`);
          }
          throw error;
        }
        cli.print({ redriven: ids }, () => `Redrove ${ids.length} job(s) of ${name}.`);
      }),
    );
}
