import type { Command } from 'commander';
import type { QueueStats } from '../../kernel/types.js';
import type { JobEvent } from '../../observe/job-events.js';
import { brief, duration, table } from '../format.js';
import { formerName, integer } from '../parse.js';
import { type Cli, type GlobalOptions, runCommand } from '../runtime.js';
import { existing } from './queues.js';

const LATEST = 12;

/** What one frame of the live view shows. */
interface Frame {
  at: Date;
  /** Events per second of each type since the previous frame. */
  rates: Record<string, number>;
  stats: QueueStats[];
  latest: JobEvent[];
}

function render(frame: Frame, queue: string | undefined): string {
  const rate = (type: string) => (frame.rates[type] ?? 0).toFixed(1);
  return [
    `pgpulse watch ${queue ?? '(every queue)'}   ${frame.at.toISOString()}   Ctrl-C to stop`,
    '',
    `per second: enqueued ${rate('enqueued')}  started ${rate('started')}  completed ${rate('completed')}  failed ${rate('failed')}  dead ${rate('dead')}`,
    '',
    table(
      ['queue', 'pending', 'scheduled', 'running', 'completed', 'dead', 'cancelled', 'oldest wait'],
      frame.stats.map((s) => [
        s.queue,
        s.counts.pending - s.scheduled,
        s.scheduled,
        s.counts.running,
        s.counts.completed,
        s.counts.dead,
        s.counts.cancelled,
        duration(s.oldestPendingAgeMs),
      ]),
    ),
    '',
    'latest events:',
    ...(frame.latest.length === 0
      ? ['  (none yet)']
      : frame.latest.map(
          (e) =>
            `  ${e.at.toISOString()}  ${e.type.padEnd(9)} ${e.queue}  ${e.id}${
              e.type === 'failed' ? `  ${brief(e.error, 50)}` : ''
            }`,
        )),
  ].join('\n');
}

/**
 * One frame as one line, for output that is not a terminal (a log file, a pipe): the table
 * would be reprinted whole at every interval.
 */
function line(frame: Frame): string {
  const rate = (type: string) => (frame.rates[type] ?? 0).toFixed(1);
  const sum = (pick: (s: QueueStats) => number) => frame.stats.reduce((n, s) => n + pick(s), 0);
  return (
    `${frame.at.toISOString()} per second: enqueued ${rate('enqueued')} started ${rate('started')} ` +
    `completed ${rate('completed')} failed ${rate('failed')} dead ${rate('dead')}; now: ` +
    `pending ${sum((s) => s.counts.pending - s.scheduled)} scheduled ${sum((s) => s.scheduled)} ` +
    `running ${sum((s) => s.counts.running)} completed ${sum((s) => s.counts.completed)} ` +
    `dead ${sum((s) => s.counts.dead)} cancelled ${sum((s) => s.counts.cancelled)}`
  );
}

/** `pgpulse watch`: a live view fed by the event stream. */
export function watchCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('watch [queue]')
    .description('A live view of one queue or all: throughput, depth per state, latest events')
    .option(
      '--interval-ms <ms>',
      'refresh every this many ms',
      integer('--interval-ms', 50, 3_600_000),
      1000,
    )
    .addOption(formerName('--interval <ms>', integer('--interval', 50, 3_600_000)))
    .addHelpText(
      'after',
      "\nOn a terminal, a table redrawn in place; otherwise one line per interval. With --json, prints every event and each refresh's counts as one JSON object per line.\n\nExamples:\n  pgpulse watch\n  pgpulse watch emails --interval-ms 500\n  pgpulse watch emails --json | jq 'select(.type == \"dead\")'",
    )
    .action((queue: string | undefined, flags: { intervalMs: number; interval?: number }) =>
      runCommand(globals(), (cli) => watch(cli, queue, flags.interval ?? flags.intervalMs)),
    );
}

async function watch(cli: Cli, queueName: string | undefined, intervalMs: number): Promise<void> {
  const queue = cli.queue({ listen: true });
  if (queueName !== undefined) await existing(cli, queueName);
  const counts = new Map<string, number>();
  const latest: JobEvent[] = [];
  let failure: unknown;
  const subscription = queue.events(queueName).subscribe({
    next: (event) => {
      counts.set(event.type, (counts.get(event.type) ?? 0) + 1);
      latest.unshift(event);
      latest.length = Math.min(latest.length, LATEST);
      if (cli.json) process.stdout.write(`${JSON.stringify(event)}\n`);
    },
    error: (error: unknown) => {
      failure = error;
    },
  });
  const stop = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  let last = performance.now();
  try {
    while (failure === undefined) {
      const stats = queueName === undefined ? await queue.stats() : [await queue.stats(queueName)];
      const now = performance.now();
      const seconds = Math.max((now - last) / 1000, 0.001);
      last = now;
      const frame: Frame = {
        at: new Date(),
        rates: Object.fromEntries([...counts].map(([type, n]) => [type, n / seconds])),
        stats,
        latest: [...latest],
      };
      counts.clear();
      if (cli.json) {
        process.stdout.write(
          `${JSON.stringify({ type: 'stats', at: frame.at, rates: frame.rates, stats })}\n`,
        );
      } else if (process.stdout.isTTY) {
        process.stdout.write(`\x1b[2J\x1b[H${render(frame, queueName)}\n`);
      } else {
        process.stdout.write(`${line(frame)}\n`);
      }
      const tick = new Promise<'tick'>((resolve) => setTimeout(() => resolve('tick'), intervalMs));
      if ((await Promise.race([tick, stop.then(() => 'stop' as const)])) === 'stop') break;
    }
    if (failure !== undefined) throw failure;
  } finally {
    subscription.unsubscribe();
  }
}
