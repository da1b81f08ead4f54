import { describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useTestQueue } from '../helpers/database.js';

// `pgpulse schedule ...` through the built CLI. The help of its subcommands is checked with every
// other command's in cli-admin.test.ts.

const { db, sql, queue } = await useTestQueue({ listen: false });
const env = { DATABASE_URL: db.url };

/** Runs the CLI with --json against the test database and parses what it printed. */
async function json<T = unknown>(...args: string[]): Promise<T> {
  const run = await runCli(['--json', ...args], env);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as T;
}

async function jobCount(): Promise<number> {
  const { rows } = await sql.query('SELECT count(*)::int AS n FROM pgpulse.all_jobs');
  return rows[0].n;
}

describe('schedule', () => {
  test('set, list, pause, resume, trigger and remove, in JSON; bad input is one line', async () => {
    const set = await json<{ created: boolean; schedule: { name: string; nextRunAt: string } }>(
      'schedule',
      'set',
      'cli-nightly',
      '--queue',
      'cli-reports',
      '--cron',
      '0 30 2 * * *',
      '--timezone',
      'Europe/Berlin',
      '--payload',
      '{"format":"pdf"}',
      '--overlap',
      'skip',
      '--max-attempts',
      '2',
    );
    expect(set).toMatchObject({ created: true, schedule: { name: 'cli-nightly' } });
    expect(await queue.schedules.get('cli-nightly')).toMatchObject({
      queue: 'cli-reports',
      cron: '0 30 2 * * *',
      timezone: 'Europe/Berlin',
      payload: { format: 'pdf' },
      overlap: 'skip',
      jobOptions: { maxAttempts: 2 },
    });
    const again = await json<{ changed: boolean }>(
      'schedule',
      'set',
      'cli-nightly',
      '--queue',
      'cli-reports',
      '--cron',
      '0 30 2 * * *',
      '--timezone',
      'Europe/Berlin',
      '--payload',
      '{"format":"pdf"}',
      '--overlap',
      'skip',
      '--max-attempts',
      '2',
    );
    expect(again.changed).toBe(false);
    await json('schedule', 'set', 'cli-fast', '--queue', 'cli-reports', '--every', '250ms');
    const list = await json<{ name: string; state: string }[]>(
      'schedule',
      'list',
      '--queue',
      'cli-reports',
    );
    expect(list.map((s) => s.name)).toEqual(['cli-fast', 'cli-nightly']);
    expect(await json('schedule', 'pause', 'cli-fast')).toMatchObject({
      state: 'paused',
      nextRunAt: null,
    });
    expect(await json('schedule', 'resume', 'cli-fast')).toMatchObject({ state: 'active' });
    const { id } = await json<{ id: string }>('schedule', 'trigger', 'cli-nightly');
    expect(await queue.getJob(id)).toMatchObject({ schedule: 'cli-nightly', tickAt: null });
    expect(await json('schedule', 'remove', 'cli-fast')).toEqual({ removed: true });
    expect(await json('schedule', 'remove', 'cli-fast')).toEqual({ removed: false });

    const before = await jobCount();
    for (const [args, message] of [
      [['--cron', 'at noon'], /cron/],
      [['--cron', '* * * * *', '--timezone', 'Nowhere/Town'], /timezone/],
      [['--every', '0'], /every/],
      [['--every', '5ms'], /every/],
      [['--every', '1s', '--misfire', 'later'], /--misfire must be one of/],
    ] as const) {
      const run = await runCli(['schedule', 'set', 'cli-bad', '--queue', 'q', ...args], env);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
    const missing = await runCli(['schedule', 'pause', 'cli-nope'], env);
    expect(missing.code).toBe(6);
    expect(missing.stderr).toMatch(/Schedule "cli-nope" does not exist/);
    expect(await queue.schedules.get('cli-bad')).toBeNull();
    expect(await jobCount()).toBe(before);
    await queue.schedules.remove('cli-nightly');
  });
});
