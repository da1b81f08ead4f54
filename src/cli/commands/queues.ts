import type { Command } from 'commander';
import type { QueueSettings } from '../../admin/queue-settings.js';
import { QueueNotFoundError } from '../../kernel/errors.js';
import type { JobState, QueueStats } from '../../kernel/types.js';
import { duration, fields, table } from '../format.js';
import { integer, json, rateLimit, states } from '../parse.js';
import { type Cli, type GlobalOptions, runCommand, UsageError } from '../runtime.js';

const COUNT_HEAD = ['pending', 'scheduled', 'running', 'completed', 'dead', 'cancelled'];

function countCells(stats: QueueStats): (string | number)[] {
  const { counts } = stats;
  return [
    counts.pending - stats.scheduled,
    stats.scheduled,
    counts.running,
    counts.completed,
    counts.dead,
    counts.cancelled,
  ];
}

/** Throws QueueNotFoundError unless the queue has settings or jobs. */
export async function existing(cli: Cli, name: string) {
  const queue = cli.queue();
  const [info, stats] = await Promise.all([queue.queues.get(name), queue.stats(name)]);
  const jobs = Object.values(stats.counts).reduce((sum, n) => sum + n, 0);
  if (info.createdAt === null && jobs === 0) throw new QueueNotFoundError(name);
  return { info, stats };
}

/** `pgpulse queue ...`. */
export function queueCommands(program: Command, globals: () => GlobalOptions): void {
  const queue = program.command('queue').description('List, create, inspect and control queues');

  queue
    .command('list')
    .description('Every queue with settings or jobs, with its counts')
    .addHelpText('after', '\nExample:\n  pgpulse queue list --json')
    .action(() =>
      runCommand(globals(), async (cli) => {
        const list = await cli.queue().queues.list();
        cli.print(list, () =>
          table(
            ['queue', 'paused', ...COUNT_HEAD, 'oldest wait', 'limits'],
            list.map((q) => [
              q.name,
              q.paused ? 'yes' : '',
              ...countCells(q.stats),
              duration(q.stats.oldestPendingAgeMs),
              [
                q.concurrencyLimit === null ? '' : `≤${q.concurrencyLimit} running`,
                q.rateLimit === null ? '' : `${q.rateLimit.count}/${q.rateLimit.periodMs}ms`,
                q.fairTenants ? 'fair' : '',
              ]
                .filter(Boolean)
                .join(', '),
            ]),
          ),
        );
      }),
    );

  queue
    .command('create <name>')
    .alias('upsert')
    .description(
      'Create a queue with stored settings, or change the settings of one (an upsert; also `queue upsert`)',
    )
    .option(
      '--lease-ms <ms>',
      'lease of claimed jobs, for workers that set none',
      integer('--lease-ms', 1),
    )
    .option(
      '--max-attempts <n>',
      'attempts of jobs sent without their own',
      integer('--max-attempts', 1),
    )
    .option('--backoff <json>', 'retry policy, e.g. \'{"type":"fixed","delayMs":5000}\'')
    .option(
      '--concurrency-limit <n>',
      'jobs running at once, across every worker',
      integer('--concurrency-limit', 1),
    )
    .option('--rate-limit <count/ms>', 'job starts per period, e.g. 100/60000', rateLimit)
    .option('--fair', 'claim jobs of every tenant in turn')
    .option('--no-fair', 'strict priority order across tenants')
    .option('--retention <json>', 'e.g. \'{"completedMs":86400000,"mode":"archive"}\'')
    .addHelpText(
      'after',
      '\nExamples:\n  pgpulse queue create emails --concurrency-limit 5 --rate-limit 100/60000\n  pgpulse queue create reports --fair --lease-ms 120000',
    )
    .action((name: string, options: Record<string, unknown>) =>
      runCommand(globals(), async (cli) => {
        const settings: QueueSettings = {};
        if (options.leaseMs !== undefined) settings.leaseMs = options.leaseMs as number;
        if (options.maxAttempts !== undefined) settings.maxAttempts = options.maxAttempts as number;
        if (options.backoff !== undefined) {
          settings.backoff = json(
            '--backoff',
            options.backoff as string,
          ) as QueueSettings['backoff'];
        }
        if (options.concurrencyLimit !== undefined) {
          settings.concurrencyLimit = options.concurrencyLimit as number;
        }
        if (options.rateLimit !== undefined) {
          settings.rateLimit = options.rateLimit as QueueSettings['rateLimit'];
        }
        // With both --fair and --no-fair defined, commander leaves `fair` unset unless given.
        if (options.fair !== undefined) {
          settings.fairTenants = options.fair as boolean;
        }
        if (options.retention !== undefined) {
          settings.retention = json(
            '--retention',
            options.retention as string,
          ) as QueueSettings['retention'];
        }
        const info = await cli.queue().queues.upsert(name, settings);
        cli.print(info, () => fields(Object.entries(info)));
      }),
    );

  queue
    .command('stats [name]')
    .description("Counts per state and the oldest due job's wait, of one queue or of all")
    .addHelpText('after', '\nExamples:\n  pgpulse queue stats\n  pgpulse queue stats emails --json')
    .action((name: string | undefined) =>
      runCommand(globals(), async (cli) => {
        if (name === undefined) {
          const all = await cli.queue().stats();
          cli.print(all, () =>
            table(
              ['queue', ...COUNT_HEAD, 'oldest wait'],
              all.map((s) => [s.queue, ...countCells(s), duration(s.oldestPendingAgeMs)]),
            ),
          );
          return;
        }
        const { info, stats } = await existing(cli, name);
        cli.print({ ...stats, settings: info }, () =>
          fields([
            ['queue', name],
            ['paused', info.paused],
            ...COUNT_HEAD.map((head, i): [string, unknown] => [head, countCells(stats)[i]]),
            ['oldest wait', duration(stats.oldestPendingAgeMs)],
            ['concurrency limit', info.concurrencyLimit],
            ['rate limit', info.rateLimit],
            ['fair tenants', info.fairTenants],
            ['lease ms', info.leaseMs],
            ['max attempts', info.maxAttempts],
            ['retention', info.retention],
          ]),
        );
      }),
    );

  for (const [verb, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    queue
      .command(`${verb} <name>`)
      .description(
        paused
          ? 'Stop every worker, in every process, from starting jobs of the queue'
          : 'Let workers start jobs of the queue again, at once',
      )
      .addHelpText('after', `\nExample:\n  pgpulse queue ${verb} emails`)
      .action((name: string) =>
        runCommand(globals(), async (cli) => {
          await existing(cli, name);
          const admin = cli.queue().queues;
          await (paused ? admin.pause(name) : admin.resume(name));
          cli.print(
            { queue: name, paused },
            () => `Queue ${name} ${paused ? 'paused' : 'resumed'}.`,
          );
        }),
      );
  }

  queue
    .command('purge <name>')
    .description("Delete the queue's jobs in some states (default: pending); never running jobs")
    .option(
      '--state <states>',
      'pending, completed, dead or cancelled (repeat, or comma-separate)',
      states,
    )
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText(
      'after',
      '\nExamples:\n  pgpulse queue purge emails --yes\n  pgpulse queue purge emails --state dead,cancelled --yes',
    )
    .action((name: string, options: { state?: JobState[]; yes?: boolean }) =>
      runCommand(globals(), async (cli) => {
        await existing(cli, name);
        const which = options.state ?? ['pending'];
        await confirmOrRefuse(
          cli,
          options.yes,
          `Delete the ${which.join(', ')} jobs of queue "${name}"?`,
        );
        const purged = await cli.queue().queues.purge(name, { states: which });
        cli.print(purged, () => {
          const total = Object.values(purged).reduce((sum, n) => sum + (n ?? 0), 0);
          return `Purged ${total} job(s) from ${name}.`;
        });
      }),
    );

  queue
    .command('delete <name>')
    .description('Delete a queue: its settings, jobs and archived jobs')
    .option('--force', 'even while jobs of it are running')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText('after', '\nExample:\n  pgpulse queue delete old-emails --yes')
    .action((name: string, options: { force?: boolean; yes?: boolean }) =>
      runCommand(globals(), async (cli) => {
        await existing(cli, name);
        await confirmOrRefuse(cli, options.yes, `Delete queue "${name}" with all its jobs?`);
        const result = await cli.queue().queues.delete(name, { force: options.force === true });
        cli.print(
          { queue: name, ...result },
          () => `Deleted queue ${name} and ${result.jobs} job(s).`,
        );
      }),
    );
}

/** Goes on with --yes or a yes at the prompt; otherwise refuses, having written nothing. */
export async function confirmOrRefuse(
  cli: Cli,
  yes: boolean | undefined,
  question: string,
): Promise<void> {
  if (yes === true) return;
  if (!(await cli.confirm(question))) {
    throw new UsageError('Nothing done: confirm at the prompt, or pass --yes');
  }
}
