import type { Command } from 'commander';
import { JobNotFoundError } from '../../kernel/job-errors.js';
import type { Job, JobState } from '../../kernel/types.js';
import { checkJobId } from '../../kernel/validate.js';
import type { OnDuplicate, SendOptions } from '../../produce/job-spec.js';
import { brief, duration, fields, table } from '../format.js';
import { date, formerName, integer, json, states } from '../parse.js';
import { type GlobalOptions, runCommand, UsageError } from '../runtime.js';
import { existing } from './queues.js';
import { whyText } from './workers.js';

interface SendFlags {
  delayMs?: number;
  /** The earlier name of `--delay-ms`. */
  delay?: number;
  runAt?: Date;
  priority?: number;
  key?: string;
  retainKey?: boolean;
  onDuplicate?: string;
  tenant?: string;
  maxAttempts?: number;
  name?: string;
}

/** The rows of a job list: one line per job. */
export function jobRows(jobs: Job[]): string {
  return table(
    ['id', 'name', 'state', 'attempts', 'tenant', 'run at', 'payload'],
    jobs.map((job) => [
      job.id,
      job.name,
      job.state,
      `${job.attempts}/${job.maxAttempts}`,
      job.tenant ?? '',
      job.runAt.toISOString(),
      brief(job.payload, 40),
    ]),
  );
}

function showJob(job: Job): string {
  const took =
    job.startedAt !== null && job.finishedAt !== null
      ? duration(job.finishedAt.getTime() - job.startedAt.getTime())
      : null;
  const parts = [
    fields([
      ['id', job.id],
      ['queue', job.queue],
      ['name', job.name],
      ['state', job.archived ? `${job.state} (archived)` : job.state],
      ['attempts', `${job.attempts} of ${job.maxAttempts}`],
      ['priority', job.priority],
      ['tenant', job.tenant],
      ['idempotency key', job.idempotencyKey],
      ...(job.schedule === null
        ? []
        : ([
            ['schedule', job.schedule],
            ['tick', job.tickAt ?? 'run by hand'],
          ] as [string, unknown][])),
      ['payload', job.payload],
      ['result', job.result],
      ['progress', job.progress],
      ['created', job.createdAt],
      ['run at', job.runAt],
      ['started', job.startedAt],
      ['finished', job.finishedAt],
      ['last attempt took', took],
      ['worker', job.workerId],
      ['lease expires', job.leaseExpiresAt],
    ]),
  ];
  if (job.errors.length > 0) {
    parts.push(
      '\nErrors (oldest first):',
      table(
        ['attempt', 'at', 'error', 'retryable'],
        job.errors.map((e) => [
          e.attempt,
          e.at,
          brief(`${e.name}: ${e.message}`, 70),
          e.retryable ? 'yes' : 'no',
        ]),
      ),
    );
  }
  if (job.logs.length > 0) {
    parts.push(
      '\nLog:',
      ...job.logs.map((entry) => `  ${entry.at}  [${entry.attempt}] ${entry.message}`),
    );
  }
  return parts.join('\n');
}

/** A job id argument, or a one-line error. */
function jobId(text: string): string {
  try {
    return checkJobId('id', text);
  } catch {
    throw new UsageError(`Not a job id (a UUID): ${JSON.stringify(text)}`);
  }
}

/** `pgpulse job ...`. */
export function jobCommands(program: Command, globals: () => GlobalOptions): void {
  const job = program.command('job').description('Send, inspect, cancel and retry jobs');

  job
    .command('send <queue> <json>')
    .description('Send one job; prints its id')
    .option('--delay-ms <ms>', 'due this many ms from now', integer('--delay-ms', 0))
    .addOption(formerName('--delay <ms>', integer('--delay', 0)))
    .option('--run-at <date>', 'due at this time (ISO 8601)', date('--run-at'))
    .option('--priority <n>', 'lower runs first (default 0)', integer('--priority', -32768, 32767))
    .option('--key <key>', 'idempotency key: one unfinished job per key')
    .option('--retain-key', 'keep the key taken after the job finishes')
    .option('--on-duplicate <mode>', 'return (default), reject or replace')
    .option('--tenant <tenant>', 'the tenant the job belongs to')
    .option('--max-attempts <n>', 'attempts before dead', integer('--max-attempts', 1))
    .option('--name <name>', 'job type (default "default")')
    .addHelpText(
      'after',
      '\nExamples:\n  pgpulse job send emails \'{"to":"ada@example.com"}\'\n  pgpulse job send reports \'{}\' --delay-ms 60000 --key daily --tenant acme',
    )
    .action((queueName: string, payloadText: string, flags: SendFlags) =>
      runCommand(globals(), async (cli) => {
        const payload = json('The payload', payloadText);
        const delayMs = flags.delayMs ?? flags.delay;
        if (delayMs !== undefined && flags.runAt !== undefined) {
          throw new UsageError('Give --delay-ms or --run-at, not both');
        }
        const options: SendOptions = {
          ...(delayMs === undefined ? {} : { delayMs }),
          ...(flags.runAt === undefined ? {} : { runAt: flags.runAt }),
          ...(flags.priority === undefined ? {} : { priority: flags.priority }),
          ...(flags.key === undefined ? {} : { idempotencyKey: flags.key }),
          ...(flags.retainKey === undefined ? {} : { retainKey: true }),
          ...(flags.onDuplicate === undefined
            ? {}
            : { onDuplicate: flags.onDuplicate as OnDuplicate }),
          ...(flags.tenant === undefined ? {} : { tenant: flags.tenant }),
          ...(flags.maxAttempts === undefined ? {} : { maxAttempts: flags.maxAttempts }),
          ...(flags.name === undefined ? {} : { name: flags.name }),
        };
        const result = await cli.queue().send(queueName, payload, options);
        cli.print(result, () =>
          result.duplicate
            ? `${result.id} (a job already held key ${flags.key}${result.replaced ? '; replaced its payload' : ''})`
            : result.id,
        );
      }),
    );

  job
    .command('show <id>')
    .description('State, attempts, error history, result, progress, log and timings of a job')
    .addHelpText('after', '\nExample:\n  pgpulse job show 0193c5f2-6a4e-7d1c-9b0a-3f1e2d4c5b6a')
    .action((id: string) =>
      runCommand(globals(), async (cli) => {
        const found = await cli.queue().getJob(jobId(id));
        if (found === null) throw new JobNotFoundError(id);
        cli.print(found, () => showJob(found));
      }),
    );

  job
    .command('why <id>')
    .description('Why a job is not running now: the precise reason, from the database')
    .addHelpText('after', '\nExample:\n  pgpulse job why 0193c5f2-6a4e-7d1c-9b0a-3f1e2d4c5b6a')
    .action((id: string) =>
      runCommand(globals(), async (cli) => {
        const why = await cli.queue().explain(jobId(id));
        cli.print(why, () => whyText(why));
      }),
    );

  job
    .command('list <queue>')
    .description('The newest jobs of a queue')
    .option('--state <states>', 'only these states (repeat, or comma-separate)', states)
    .option('--tenant <tenant>', "only this tenant's jobs")
    .option('--limit <n>', 'at most this many', integer('--limit', 1, 10_000), 50)
    .addHelpText(
      'after',
      '\nExamples:\n  pgpulse job list emails --state pending,running\n  pgpulse job list emails --tenant acme --limit 10 --json',
    )
    .action((queueName: string, flags: { state?: JobState[]; tenant?: string; limit: number }) =>
      runCommand(globals(), async (cli) => {
        await existing(cli, queueName);
        const jobs = await cli.queue().listJobs(queueName, {
          ...(flags.state === undefined ? {} : { states: flags.state }),
          ...(flags.tenant === undefined ? {} : { tenant: flags.tenant }),
          limit: flags.limit,
        });
        cli.print(jobs, () => jobRows(jobs));
      }),
    );

  job
    .command('cancel <id>')
    .description('Cancel a job: a pending one never runs, a running one is aborted')
    .addHelpText('after', '\nExample:\n  pgpulse job cancel 0193c5f2-6a4e-7d1c-9b0a-3f1e2d4c5b6a')
    .action((id: string) =>
      runCommand(globals(), async (cli) => {
        const result = await cli.queue().cancel(jobId(id));
        cli.print(result, () =>
          result.previousState === 'cancelled'
            ? `${id} was already cancelled.`
            : `Cancelled ${id} (was ${result.previousState}).`,
        );
      }),
    );

  job
    .command('retry <id>')
    .description('Bring a dead job back to pending with a fresh set of attempts')
    .addHelpText('after', '\nExample:\n  pgpulse job retry 0193c5f2-6a4e-7d1c-9b0a-3f1e2d4c5b6a')
    .action((id: string) =>
      runCommand(globals(), async (cli) => {
        await cli.queue().retryDead(jobId(id));
        cli.print({ id, state: 'pending' }, () => `${id} is pending again.`);
      }),
    );
}
