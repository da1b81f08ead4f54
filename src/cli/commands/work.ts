import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { closeOnSignals } from '../../kernel/signals.js';
import { type AnyJobDefinition, isJobDefinition } from '../../produce/define-job.js';
import { onParentExit } from '../parent-watch.js';
import { integer } from '../parse.js';
import { type GlobalOptions, runCommand, UsageError } from '../runtime.js';

/** The job definitions a module exports: each named export that is one, or a list of them. */
export function definitionsOf(module: Record<string, unknown>): AnyJobDefinition[] {
  const found: AnyJobDefinition[] = [];
  for (const value of Object.values(module)) {
    const candidates = Array.isArray(value) ? value : [value];
    for (const candidate of candidates) {
      if (isJobDefinition(candidate) && !found.includes(candidate)) found.push(candidate);
    }
  }
  return found;
}

/** `pgpulse work <module>`: a worker for the job definitions a module exports. */
export function workCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('work <module>')
    .description('Run a worker for the job definitions (defineJob) a JavaScript module exports')
    .option('--queue <name>', "the queue to work (default: the module's `queue` export)")
    .option(
      '--concurrency <n>',
      'handlers running at once',
      integer('--concurrency', 1, 10_000),
      10,
    )
    .option(
      '--grace-ms <ms>',
      'how long running jobs get to finish on stop',
      integer('--grace-ms', 0),
      10_000,
    )
    .addHelpText(
      'after',
      `
The module's named exports that are job definitions (or arrays of them) are worked; a job of
another name goes to dead with a reason. Schedules declared with the definitions (defineJob's
\`schedule\`) are installed on the queue as the worker starts (idempotent). SIGINT or SIGTERM stops gracefully (running jobs get
--grace-ms to finish; the rest go back to pending at once); a second signal exits at once. If
the process that started the worker dies (npx, a shell script), the worker stops gracefully too.
For a TypeScript module, run the CLI under a loader: node --import tsx $(which pgpulse) work jobs.ts

Examples:
  pgpulse work ./dist/jobs.js --queue emails --concurrency 20
  DATABASE_URL=postgres://... pgpulse work ./jobs.mjs`,
    )
    .action((modulePath: string, flags: { queue?: string; concurrency: number; graceMs: number }) =>
      runCommand(globals(), async (cli) => {
        let module: Record<string, unknown>;
        try {
          module = (await import(pathToFileURL(resolve(modulePath)).href)) as Record<
            string,
            unknown
          >;
        } catch (error) {
          throw new UsageError(`Cannot load ${modulePath}: ${(error as Error).message}`);
        }
        const definitions = definitionsOf(module);
        if (definitions.length === 0) {
          throw new UsageError(`${modulePath} exports no job definitions (made with defineJob)`);
        }
        const queueName =
          flags.queue ?? (typeof module.queue === 'string' ? module.queue : undefined);
        if (queueName === undefined) {
          throw new UsageError(
            `Which queue? Pass --queue, or export const queue = '...' from ${modulePath}`,
          );
        }
        const queue = cli.queue({ listen: true });
        await queue.stats(queueName); // fail fast: unreachable database, schema not installed
        const worker = queue.work(queueName, definitions, {
          concurrency: flags.concurrency,
          graceMs: flags.graceMs,
        });
        process.stderr.write(
          `pgpulse: working queue ${queueName} (${definitions.map((d) => d.name).join(', ')}), concurrency ${flags.concurrency}; Ctrl-C to stop\n`,
        );
        const stopping = (why: string) =>
          process.stderr.write(`pgpulse: ${why}: stopping (send a signal again to exit at once)\n`);
        // Started by a parent that died without passing its signal on (npx, a shell script):
        // stop gracefully rather than run on, orphaned.
        let orphaned: () => void = () => undefined;
        const unwatchParent = onParentExit(() => orphaned());
        // The first SIGINT or SIGTERM closes the queue (its worker gets --grace-ms); a second
        // one exits at once with 130.
        const signals = closeOnSignals(queue, {
          graceMs: flags.graceMs,
          onSignal: (signal) => {
            unwatchParent();
            stopping(signal);
          },
        });
        await new Promise<void>((done, failed) => {
          signals.closed.then(() => done(), failed);
          orphaned = () => {
            stopping('the parent process exited');
            queue.close({ graceMs: flags.graceMs }).then(done, failed);
          };
          // A permanent problem (no privilege, schema not installed): stop, then one line, exit 1.
          const stopFailed = (error: unknown) => {
            unwatchParent();
            signals.dispose();
            const fail = () => failed(error);
            queue.close({ graceMs: flags.graceMs }).then(fail, fail);
          };
          worker.on('error', (event) => {
            if (event.fatal) stopFailed(event.error);
          });
          // Schedules declared with the definitions are installed as the worker starts.
          const scheduled = definitions.filter((definition) => definition.schedule !== undefined);
          if (scheduled.length > 0) {
            worker.ready.then(
              () =>
                process.stderr.write(
                  `pgpulse: schedules installed: ${scheduled.map((d) => d.schedule?.name ?? d.name).join(', ')}\n`,
                ),
              stopFailed,
            );
          }
        }).finally(() => {
          unwatchParent();
          signals.dispose();
        });
        process.stderr.write('pgpulse: stopped\n');
      }),
    );
}
