import type { Command } from 'commander';
import { brief, table } from '../format.js';
import { formerName, integer } from '../parse.js';
import { type GlobalOptions, runCommand } from '../runtime.js';
import { existing } from './queues.js';

/** `pgpulse read`: claim jobs and print them, for debugging. */
export function readCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('read <queue>')
    .description('Claim jobs and print them, then give them back (unless --keep)')
    .option('--count <n>', 'how many jobs', integer('--count', 1, 10_000), 1)
    .option('--lease-ms <ms>', 'lease of the claim', integer('--lease-ms', 1), 30_000)
    .addOption(formerName('--lease <ms>', integer('--lease', 1)))
    .option('--tenant <tenant>', "only this tenant's jobs")
    .option(
      '--keep',
      'keep the jobs claimed until their lease expires (then the sweeper requeues them)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  pgpulse read emails --count 5\n  pgpulse read emails --keep --lease-ms 600000 --json',
    )
    .action(
      (
        name: string,
        flags: { count: number; leaseMs: number; lease?: number; tenant?: string; keep?: boolean },
      ) =>
        runCommand(globals(), async (cli) => {
          const queue = cli.queue();
          await existing(cli, name);
          const jobs = await queue.claim(name, {
            batchSize: flags.count,
            leaseMs: flags.lease ?? flags.leaseMs,
            workerId: 'pgpulse-cli-read',
            ...(flags.tenant === undefined ? {} : { tenant: flags.tenant }),
          });
          if (!flags.keep && jobs.length > 0) {
            // Given back at once, without spending the attempt the claim counted.
            await queue.releaseMany(jobs.map((job) => ({ job })));
          }
          cli.print(
            jobs.map((job) => ({ ...job, released: !flags.keep })),
            () =>
              `${table(
                [
                  'id',
                  'name',
                  'attempt',
                  'tenant',
                  'payload',
                  ...(flags.keep ? ['lease token'] : []),
                ],
                jobs.map((job) => [
                  job.id,
                  job.name,
                  job.attempts,
                  job.tenant ?? '',
                  brief(job.payload, 50),
                  ...(flags.keep ? [job.leaseToken] : []),
                ]),
              )}\n${jobs.length} job(s) ${flags.keep ? `kept for ${flags.lease} ms` : 'read and released'}.`,
          );
        }),
    );
}
