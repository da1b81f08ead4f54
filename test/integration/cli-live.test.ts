import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { Queue } from '../../src/index.js';
import { CLI, type RunningCli, startCli } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/database.js';
import { scratchDir } from '../helpers/scratch-dir.js';
import { waitFor } from '../helpers/wait.js';

const db = await createTestDatabase();
const sql = new pg.Pool({ connectionString: db.url });
const queue = new Queue({ connectionString: db.url });
const env = { DATABASE_URL: db.url };
const running: RunningCli[] = [];
afterAll(async () => {
  for (const cli of running) cli.child.kill('SIGKILL');
  await queue.close();
  await sql.end();
  await db.drop();
});

function start(args: string[]): RunningCli {
  const cli = startCli(args, env);
  running.push(cli);
  return cli;
}

/** The JSON lines a `watch --json` printed so far. */
function lines(cli: RunningCli): { type: string; id?: string; queue?: string }[] {
  return cli
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
}

describe('watch', () => {
  test('shows counts and the live event stream, and exits cleanly on Ctrl-C', async () => {
    await queue.queues.upsert('cli-watch'); // an unknown queue is refused
    const cli = start(['--json', 'watch', 'cli-watch', '--interval', '100']);
    await waitFor(() => lines(cli).some((l) => l.type === 'stats'), 'the first refresh');
    await waitFor(async () => {
      const { rows } = await sql.query('SELECT count(*)::int AS n FROM pgpulse.event_watchers');
      return rows[0].n > 0;
    }, 'the watcher to register');
    const worker = queue.work('cli-watch', async () => 'ok');
    try {
      const { id } = await queue.send('cli-watch', {});
      await waitFor(
        () => lines(cli).some((l) => l.type === 'completed' && l.id === id),
        'the completed event',
      );
      const types = lines(cli)
        .filter((l) => l.id === id)
        .map((l) => l.type);
      expect(types).toEqual(['enqueued', 'started', 'completed']);
      await waitFor(
        () =>
          lines(cli).some(
            (l) =>
              l.type === 'stats' &&
              (l as unknown as { stats: { counts: { completed: number } }[] }).stats[0]?.counts
                .completed === 1,
          ),
        'a refresh counting the completed job',
      );
    } finally {
      await worker.stop();
    }
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
    expect(cli.stderr()).toBe('');
  });

  test('without a terminal, prints one line per interval instead of redrawing a table', async () => {
    await queue.send('cli-watch-text', { n: 1 });
    const cli = start(['watch', 'cli-watch-text', '--interval', '100']);
    await waitFor(() => cli.stdout().split('\n').length > 3, 'three intervals');
    const printed = cli.stdout().trim().split('\n');
    for (const line of printed) {
      expect(line).toMatch(
        /^\d{4}-\d\d-\d\dT\S+ per second: enqueued \d+\.\d started .*; now: pending 1 scheduled 0 running 0 /,
      );
    }
    cli.child.kill('SIGTERM');
    expect(await cli.exited, cli.stderr()).toBe(0);
    expect(cli.stderr()).toBe('');
  });
});

const workDir = scratchDir('pgpulse-cli-work');

describe('work', () => {
  const dir = workDir;
  const index = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
  const modulePath = join(dir, 'jobs.mjs');
  writeFileSync(
    modulePath,
    `import { defineJob } from ${JSON.stringify(index)};
export const queue = 'cli-work';
export const greet = defineJob({
  name: 'greet',
  handler: async (job) => ({ hello: job.payload.name }),
});
export const stuck = defineJob({
  name: 'stuck',
  // Ignores its abort signal: only a forced exit ends it.
  handler: () => new Promise(() => {}),
});
`,
  );

  test('runs the definitions a module exports, and stops gracefully on SIGTERM', async () => {
    const cli = start(['work', modulePath, '--concurrency', '4']);
    await waitFor(() => cli.stderr().includes('working queue cli-work'), 'the worker to start');
    expect(cli.stderr()).toMatch(/greet, stuck/);
    const { id } = await queue.send('cli-work', { name: 'Ada' }, { name: 'greet' });
    const stray = await queue.send('cli-work', {}, { name: 'unknown-type' });
    await waitFor(async () => (await queue.getJob(id))?.state === 'completed', 'the greet job');
    expect((await queue.getJob(id))?.result).toEqual({ hello: 'Ada' });
    await waitFor(async () => (await queue.getJob(stray.id))?.state === 'dead', 'the stray job');
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.stderr()).toMatch(/stopped/);
  });

  test('installs the schedules declared with the definitions, and runs their ticks', async () => {
    const scheduled = join(dir, 'scheduled.mjs');
    writeFileSync(
      scheduled,
      `import { defineJob } from ${JSON.stringify(index)};
export const queue = 'cli-sched';
export const tick = defineJob({
  name: 'tick',
  schedule: { every: '200ms', payload: { n: 1 } },
  handler: async (job) => job.tickAt.toISOString(),
});
`,
    );
    const cli = start(['work', scheduled]);
    await waitFor(() => cli.stderr().includes('schedules installed: tick'), 'the schedule');
    await waitFor(
      async () =>
        (await queue.listJobs('cli-sched', { states: ['completed'] })).some(
          (job) => job.schedule === 'tick' && job.result === job.tickAt?.toISOString(),
        ),
      'a tick to run',
    );
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(await queue.schedules.get('tick')).toMatchObject({ queue: 'cli-sched', everyMs: 200 });
    await queue.schedules.remove('tick');
  });

  test('a second signal exits at once, even with a handler that ignores its signal', async () => {
    const cli = start(['work', modulePath, '--grace-ms', '600000']);
    await waitFor(() => cli.stderr().includes('working queue'), 'the worker to start');
    const { id } = await queue.send('cli-work', {}, { name: 'stuck' });
    await waitFor(
      async () => (await queue.getJob(id))?.state === 'running',
      'the stuck job to start',
    );
    cli.child.kill('SIGINT');
    await waitFor(() => cli.stderr().includes('again'), 'the first signal to be taken');
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(130);
  });

  test('a worker whose parent process dies stops gracefully by itself', async () => {
    // As `npx pgpulse work` is: a parent process (here a shell) with the worker as its child.
    // Killing the parent leaves the worker orphaned; it must notice and stop, not run on.
    const parent = spawn(
      'sh',
      [
        '-c',
        `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} work ${JSON.stringify(modulePath)} & echo $!; wait`,
      ],
      { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    parent.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    parent.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    // A process start on a loaded machine can take longer than waitFor's default.
    await waitFor(() => err.includes('working queue cli-work'), 'the worker to start', 60_000);
    const workerPid = Number(out.trim());
    const alive = () => {
      try {
        process.kill(workerPid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive()).toBe(true);
    parent.kill('SIGKILL');
    await waitFor(() => !alive(), 'the orphaned worker to exit', 60_000);
    expect(err).toMatch(/the parent process exited: stopping/);
  }, 150_000);

  test('a module without definitions, or no queue, is one clear error', async () => {
    const empty = join(dir, 'empty.mjs');
    writeFileSync(empty, 'export const nothing = 1;\n');
    const none = start(['work', empty, '--queue', 'x']);
    expect(await none.exited).toBe(2);
    expect(none.stderr()).toMatch(/exports no job definitions/);
    const missing = start(['work', join(dir, 'missing.mjs'), '--queue', 'x']);
    expect(await missing.exited).toBe(2);
    expect(missing.stderr()).toMatch(/Cannot load/);
  });
});
