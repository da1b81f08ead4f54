import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { Queue } from '../../src/index.js';
import { type RunningCli, startCli } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/database.js';
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

  test('renders a human view when not asked for JSON', async () => {
    await queue.send('cli-watch-text', { n: 1 });
    const cli = start(['watch', 'cli-watch-text', '--interval', '100']);
    await waitFor(() => cli.stdout().includes('latest events:'), 'a frame');
    expect(cli.stdout()).toMatch(/per second: enqueued/);
    expect(cli.stdout()).toMatch(/cli-watch-text\s*│\s*1\s/);
    cli.child.kill('SIGTERM');
    expect(await cli.exited, cli.stderr()).toBe(0);
    expect(cli.stderr()).toBe('');
  });
});

describe('work', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgpulse-cli-work-'));
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

  test('a second signal exits at once, even with a handler that ignores its signal', async () => {
    const cli = start(['work', modulePath, '--grace-ms', '600000']);
    await waitFor(() => cli.stderr().includes('working queue'), 'the worker to start');
    const { id } = await queue.send('cli-work', {}, { name: 'stuck' });
    await waitFor(
      async () => (await queue.getJob(id))?.state === 'running',
      'the stuck job to start',
    );
    cli.child.kill('SIGINT');
    await waitFor(() => cli.stderr().includes('send it again'), 'the first signal to be taken');
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(130);
  });

  test('a module without definitions, or no queue, is one clear error', async () => {
    const empty = join(dir, 'empty.mjs');
    writeFileSync(empty, 'export const nothing = 1;\n');
    const none = start(['work', empty, '--queue', 'x']);
    expect(await none.exited).toBe(1);
    expect(none.stderr()).toMatch(/exports no job definitions/);
    const missing = start(['work', join(dir, 'missing.mjs'), '--queue', 'x']);
    expect(await missing.exited).toBe(1);
    expect(missing.stderr()).toMatch(/Cannot load/);
  });
});
