import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { ScheduleTiming } from '../../kernel/schedule-types.js';
import type { ScheduleInfo } from '../../schedule/schedule-row.js';
import type { ScheduleOptions } from '../../schedule/schedule-spec.js';
import { fields, show, table } from '../format.js';
import { date, integer, json } from '../parse.js';
import { type GlobalOptions, runCommand } from '../runtime.js';

/** One of `choices`, for an option such as `--misfire`. */
function oneOf<T extends string>(flag: string, choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`${flag} must be one of ${choices.join(', ')}.`);
    }
    return value as T;
  };
}

/** How a schedule ticks, for a table. */
function timing(info: ScheduleInfo): string {
  if (info.cron !== null)
    return info.timezone === 'UTC' ? info.cron : `${info.cron} (${info.timezone})`;
  return `every ${info.everyMs} ms`;
}

/** `schedule set`'s flags: the timing as the library takes it (`every` as its text). */
interface SetFlags extends Omit<ScheduleTiming, 'every'> {
  queue: string;
  every?: string;
  job?: string;
  payload?: string;
  priority?: number;
  maxAttempts?: number;
  tenant?: string;
}

/** The library's options from `schedule set`'s flags (the library validates them). */
function setOptions(flags: SetFlags): ScheduleOptions {
  const options: ScheduleOptions = { queue: flags.queue };
  if (flags.cron !== undefined) options.cron = flags.cron;
  if (flags.every !== undefined) {
    options.every = /^\d+$/.test(flags.every.trim()) ? Number(flags.every) : flags.every;
  }
  if (flags.timezone !== undefined) options.timezone = flags.timezone;
  if (flags.job !== undefined) options.job = flags.job;
  if (flags.payload !== undefined) options.payload = json('--payload', flags.payload);
  const job: NonNullable<ScheduleOptions['options']> = {};
  if (flags.priority !== undefined) job.priority = flags.priority;
  if (flags.maxAttempts !== undefined) job.maxAttempts = flags.maxAttempts;
  if (flags.tenant !== undefined) job.tenant = flags.tenant;
  if (Object.keys(job).length > 0) options.options = job;
  if (flags.overlap !== undefined) options.overlap = flags.overlap;
  if (flags.misfire !== undefined) options.misfire = flags.misfire;
  if (flags.misfireCap !== undefined) options.misfireCap = flags.misfireCap;
  if (flags.startAt !== undefined) options.startAt = flags.startAt;
  if (flags.endAt !== undefined) options.endAt = flags.endAt;
  if (flags.maxRuns !== undefined) options.maxRuns = flags.maxRuns;
  return options;
}

/** `pgpulse schedule ...`. */
export function scheduleCommands(program: Command, globals: () => GlobalOptions): void {
  const schedule = program
    .command('schedule')
    .description('List, set, pause, resume, trigger and remove recurring schedules');

  schedule
    .command('list')
    .description('Every schedule (or those of one queue), with its last and next run')
    .option('--queue <name>', 'only the schedules of this queue')
    .addHelpText('after', '\nExample:\n  pgpulse schedule list --queue reports --json')
    .action((flags: { queue?: string }) =>
      runCommand(globals(), async (cli) => {
        const list = await cli.queue().schedules.list(flags);
        cli.print(list, () =>
          table(
            ['schedule', 'queue', 'job', 'when', 'state', 'next run', 'last run', 'last job'],
            list.map((s) => [
              s.name,
              s.queue,
              s.jobName,
              timing(s),
              s.state,
              show(s.nextRunAt),
              show(s.lastRunAt),
              s.lastJob === null ? '-' : `${s.lastJob.id} (${s.lastJob.state ?? 'gone'})`,
            ]),
          ),
        );
      }),
    );

  schedule
    .command('set <name>')
    .description('Create a schedule, or change one (idempotent): a cron expression or an interval')
    .requiredOption('--queue <name>', 'the queue each tick sends a job to')
    .option('--cron <expression>', "5, 6 (seconds first) or 7 fields, e.g. '0 30 2 * * *'")
    .option('--every <interval>', 'milliseconds, or a duration such as 250ms, 30s, 5m, 1h30m')
    .option('--timezone <zone>', 'IANA time zone of the cron expression (default: UTC)')
    .option('--job <name>', "the job name of each tick's job (default: default)")
    .option('--payload <json>', "the payload of each tick's job (default: null)")
    .option('--priority <n>', 'lower runs first', integer('--priority', -32768, 32767))
    .option('--max-attempts <n>', 'attempts of each job', integer('--max-attempts', 1))
    .option('--tenant <tenant>', 'the tenant of each job')
    .option(
      '--overlap <policy>',
      "allow, or skip a tick while the previous tick's job is unfinished (default: allow)",
      oneOf('--overlap', ['allow', 'skip'] as const),
    )
    .option(
      '--misfire <policy>',
      'missed ticks: once, all (up to --misfire-cap), or skip (default: once)',
      oneOf('--misfire', ['once', 'all', 'skip'] as const),
    )
    .option(
      '--misfire-cap <n>',
      'most missed ticks run with --misfire all (default: 100)',
      integer('--misfire-cap', 1, 10_000),
    )
    .option('--start-at <date>', 'no tick before this time', date('--start-at'))
    .option('--end-at <date>', 'no tick after this time', date('--end-at'))
    .option('--max-runs <n>', 'at most this many tick jobs in all', integer('--max-runs', 1))
    .addHelpText(
      'after',
      `
Examples:
  pgpulse schedule set nightly-report --queue reports --cron '0 30 2 * * *' --timezone Europe/Berlin --payload '{"format":"pdf"}'
  pgpulse schedule set heartbeat --queue pings --every 30s --overlap skip --misfire skip`,
    )
    .action((name: string, flags: SetFlags) =>
      runCommand(globals(), async (cli) => {
        const result = await cli.queue().schedules.set(name, setOptions(flags));
        cli.print(result, () =>
          fields([
            ['schedule', result.schedule.name],
            ['created', result.created],
            ['changed', result.changed],
            ['when', timing(result.schedule)],
            ['state', result.schedule.state],
            ['next run', result.schedule.nextRunAt],
          ]),
        );
      }),
    );

  const change = (verb: 'pause' | 'resume', description: string) =>
    schedule
      .command(`${verb} <name>`)
      .description(description)
      .addHelpText('after', `\nExample:\n  pgpulse schedule ${verb} nightly-report`)
      .action((name: string) =>
        runCommand(globals(), async (cli) => {
          const info = await cli.queue().schedules[verb](name);
          cli.print(
            info,
            () => `Schedule ${info.name} is ${info.state}; next run ${show(info.nextRunAt)}`,
          );
        }),
      );
  change('pause', 'Pause a schedule: no tick fires until it is resumed');
  change('resume', 'Resume a paused schedule from its next tick after now');

  schedule
    .command('trigger <name>')
    .description("Run a schedule's job once now, outside its ticks")
    .addHelpText('after', '\nExample:\n  pgpulse schedule trigger nightly-report')
    .action((name: string) =>
      runCommand(globals(), async (cli) => {
        const result = await cli.queue().schedules.trigger(name);
        cli.print(result, () => `Sent job ${result.id} of schedule ${name}`);
      }),
    );

  schedule
    .command('remove <name>')
    .description('Remove a schedule and its waiting job (jobs it made before stay)')
    .addHelpText('after', '\nExample:\n  pgpulse schedule remove nightly-report')
    .action((name: string) =>
      runCommand(globals(), async (cli) => {
        const removed = await cli.queue().schedules.remove(name);
        cli.print({ removed }, () =>
          removed ? `Removed schedule ${name}` : `No schedule ${name}: nothing removed`,
        );
      }),
    );
}
