import type { Command } from 'commander';
import { checkJobId } from '../../kernel/validate.js';
import { NotFoundError } from '../failures.js';
import { renderFlow } from '../flow-view.js';
import { type GlobalOptions, runCommand, UsageError } from '../runtime.js';

/** `pgpulse flow ...`: flows, jobs that depend on jobs. */
export function flowCommands(program: Command, globals: () => GlobalOptions): void {
  const flow = program.command('flow').description('Flows: jobs that depend on jobs');

  flow
    .command('show <id>')
    .description('Draw a flow: every job with its state, under its parents (--json: every field)')
    .addHelpText(
      'after',
      '\nExamples:\n  pgpulse flow show 0193c5f2-6a4e-7d1c-9b0a-3f1e2d4c5b6a\n  pgpulse flow show 0193c5f2-6a4e-7d1c-9b0a-3f1e2d4c5b6a --json',
    )
    .action((id: string) =>
      runCommand(globals(), async (cli) => {
        let flowId: string;
        try {
          flowId = checkJobId('id', id);
        } catch {
          throw new UsageError(`Not a flow id (a UUID): ${JSON.stringify(id)}`);
        }
        const found = await cli.queue().flows.get(flowId);
        if (found === null) {
          throw new NotFoundError(`No flow has the id ${flowId} (unknown, or pruned by retention)`);
        }
        cli.print(found, () => renderFlow(found));
      }),
    );

  flow
    .command('cancel <id>')
    .description('Cancel every unfinished job of a flow (running ones are aborted)')
    .addHelpText('after', '\nExample:\n  pgpulse flow cancel 0193c5f2-6a4e-7d1c-9b0a-3f1e2d4c5b6a')
    .action((id: string) =>
      runCommand(globals(), async (cli) => {
        let flowId: string;
        try {
          flowId = checkJobId('id', id);
        } catch {
          throw new UsageError(`Not a flow id (a UUID): ${JSON.stringify(id)}`);
        }
        const cancelled = await cli.queue().flows.cancel(flowId);
        cli.print({ cancelled }, () => `Cancelled ${cancelled} job(s) of flow ${flowId}.`);
      }),
    );
}
