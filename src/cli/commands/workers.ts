import type { Command } from 'commander';
import type { JobExplanation } from '../../admin/explain.js';
import { duration, table } from '../format.js';
import { type GlobalOptions, runCommand } from '../runtime.js';

/** `pgpulse workers`: the worker registry. */
export function workersCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('workers')
    .description('The live workers of every process: queues, concurrency, running jobs, last seen')
    .option('--all', 'also list expired entries (processes that died)')
    .addHelpText('after', '\nExamples:\n  pgpulse workers\n  pgpulse workers --all --json')
    .action((flags: { all?: boolean }) =>
      runCommand(globals(), async (cli) => {
        const workers = await cli.queue().workers.list({ all: flags.all === true });
        const now = Date.now();
        cli.print(workers, () =>
          table(
            ['worker', 'host', 'pid', 'queues', 'running', 'version', 'up', 'last seen'],
            workers.map((w) => [
              w.alive ? w.workerId : `${w.workerId} (expired)`,
              w.host,
              w.pid,
              w.queues.join(', '),
              `${w.running}/${w.concurrency}`,
              w.version,
              duration(now - w.startedAt.getTime()),
              `${duration(Math.max(0, now - w.lastSeenAt.getTime()))} ago`,
            ]),
          ),
        );
      }),
    );
}

/** `pgpulse job why <id>` as text: the reason, then anything else that holds the job back. */
export function whyText(why: JobExplanation): string {
  const lines = [`${why.id} (${why.queue}, ${why.state}): ${why.reason.code}`, why.reason.message];
  for (const finding of why.findings.slice(1))
    lines.push(`also ${finding.code}: ${finding.message}`);
  if (why.reason.holders !== undefined && why.reason.holders.length > 0) {
    lines.push(`held by: ${why.reason.holders.join(', ')}`);
  }
  return lines.join('\n');
}
