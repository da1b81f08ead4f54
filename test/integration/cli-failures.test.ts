import { type AddressInfo, createServer, type Socket } from 'node:net';
import { describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useTestQueue } from '../helpers/database.js';

// The CLI's failures: bad input, unreachable or misconfigured databases, the exit status of each
// class of failure and --json errors. Every failure is one line, and nothing is written.
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

describe('bad input: one line, exit 2 (usage) or 6 (not found), nothing written', () => {
  test.each([
    ['malformed JSON', ['job', 'send', 'cli-bad', '{oops'], /not valid JSON/, 2],
    ['a hostile queue name', ['job', 'send', "x'; DROP TABLE", '{}'], /`queue`/, 2],
    [
      'a negative delay',
      ['job', 'send', 'cli-bad', '{}', '--delay', '-5'],
      /--delay must be an integer/,
      2,
    ],
    [
      'both delay and run-at',
      ['job', 'send', 'cli-bad', '{}', '--delay', '5', '--run-at', '2030-01-01T00:00:00Z'],
      /not both/,
      2,
    ],
    [
      'a bad run-at',
      ['job', 'send', 'cli-bad', '{}', '--run-at', 'tomorrow'],
      /--run-at must be a date/,
      2,
    ],
    ['a bad job id', ['job', 'show', 'not-a-uuid'], /Not a job id/, 2],
    [
      'an unknown job',
      ['job', 'cancel', '01a202bb-6140-7705-9bb4-c0076bf62699'],
      /does not exist/,
      6,
    ],
    [
      'an unknown queue',
      ['queue', 'pause', 'no-such-queue'],
      /Queue "no-such-queue" does not exist/,
      6,
    ],
    ['an unknown queue (dlq)', ['dlq', 'redrive', 'no-such-queue'], /does not exist/, 6],
    ['an unknown queue (dlq list)', ['dlq', 'list', 'no-such-queue'], /does not exist/, 6],
    ['an unknown queue (stats)', ['queue', 'stats', 'no-such-queue'], /does not exist/, 6],
    ['an unknown queue (job list)', ['job', 'list', 'no-such-queue'], /does not exist/, 6],
    ['an unknown queue (read)', ['read', 'no-such-queue'], /does not exist/, 6],
    ['an unknown queue (watch)', ['watch', 'no-such-queue'], /does not exist/, 6],
    ['an unknown option', ['job', 'list', 'cli-bad', '--bogus'], /unknown option '--bogus'/, 2],
    [
      'a bad option value',
      ['read', 'cli-bad', '--count', 'many'],
      /^pgpulse: option '--count <n>' argument 'many' is invalid\. --count must be an integer/,
      2,
    ],
    ['a bad state', ['job', 'list', 'cli-bad', '--state', 'sleeping'], /--state must be one of/, 2],
    [
      'a bad rate limit',
      ['queue', 'create', 'cli-bad', '--rate-limit', 'fast'],
      /COUNT\/PERIOD_MS/,
      2,
    ],
    ['an unknown command', ['frobnicate'], /unknown command/, 2],
  ])('%s', async (_, args, message, code) => {
    const before = await jobCount();
    const run = await runCli(args, env);
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await jobCount()).toBe(before);
    expect((await queue.queues.get('cli-bad')).createdAt).toBeNull();
  });

  test('an unreachable database: one line, and never the password', async () => {
    const run = await runCli(['queue', 'list'], {
      DATABASE_URL: 'postgres://admin:s3cret-pw@127.0.0.1:1/nowhere',
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /^pgpulse: Cannot connect to the database at postgres:\/\/admin:\*\*\*@127\.0\.0\.1:1\/nowhere/,
    );
    expect(run.stderr + run.stdout).not.toContain('s3cret-pw');
    const flag = await runCli([
      '--database-url',
      'postgres://u:hunter2@127.0.0.1:1/x',
      'job',
      'send',
      'q',
      '{}',
    ]);
    expect(flag.stderr + flag.stdout).not.toContain('hunter2');
  });

  test('a malformed connection string says so, wherever it came from', async () => {
    const flag = await runCli(['--database-url', 'not a url', 'queue', 'list']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toBe(
      'pgpulse: --database-url is malformed: expected a PostgreSQL connection string such as postgres://user@host:5432/database\n',
    );
    const variable = await runCli(['queue', 'list'], { DATABASE_URL: 'localhost:5432' });
    expect(variable.code).toBe(2);
    expect(variable.stderr).toMatch(/^pgpulse: .*malformed \(set by DATABASE_URL\)\n$/);
  });

  test('a host that accepts but never answers times out, naming the database', async () => {
    // A black hole: accepts the TCP connection, never speaks PostgreSQL.
    const sockets: Socket[] = [];
    const hole = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve));
    const { port } = hole.address() as AddressInfo;
    try {
      const run = await runCli([
        '--database-url',
        `postgres://app:t0p-secret@127.0.0.1:${port}/jobs`,
        '--connect-timeout-ms',
        '300',
        'queue',
        'list',
      ]);
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(
        new RegExp(
          `^pgpulse: Cannot connect to the database at postgres://app:\\*\\*\\*@127\\.0\\.0\\.1:${port}/jobs: .*timeout`,
        ),
      );
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).not.toContain('t0p-secret');
    } finally {
      for (const socket of sockets) socket.destroy();
      hole.close();
    }
  });

  test('no database configured at all says how to give one', async () => {
    const run = await runCli(['queue', 'list']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^pgpulse: No database to connect to: pass --database-url, set PGPULSE_DATABASE_URL or DATABASE_URL/,
    );
  });
});

describe('exit statuses by class, and --json errors', () => {
  test('--json prints a failure as one JSON line on stderr: its class, status and code', async () => {
    const unknown = await runCli(
      ['--json', 'job', 'cancel', '01a202bb-6140-7705-9bb4-c0076bf62699'],
      env,
    );
    expect(unknown.code).toBe(6);
    expect(unknown.stdout).toBe('');
    expect(JSON.parse(unknown.stderr)).toEqual({
      error: {
        kind: 'notFound',
        exitCode: 6,
        code: 'PGPULSE_JOB_NOT_FOUND',
        message: expect.stringMatching(/does not exist/),
      },
    });
    const usage = await runCli(['--json', 'job', 'send', 'cli-json'], env);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stderr)).toMatchObject({
      error: { kind: 'usage', exitCode: 2, message: expect.stringMatching(/missing required/) },
    });
    const unreachable = await runCli(['--json', 'queue', 'list'], {
      DATABASE_URL: 'postgres://admin:s3cret-pw@127.0.0.1:1/nowhere',
    });
    expect(unreachable.code).toBe(3);
    expect(JSON.parse(unreachable.stderr).error).toMatchObject({ kind: 'connection' });
    expect(unreachable.stderr).not.toContain('s3cret-pw');
  });

  test('a job whose state refuses the command: 7', async () => {
    const { id } = await queue.send('cli-conflict', {});
    const [claimed] = await queue.claim('cli-conflict');
    if (claimed === undefined) throw new Error('no job');
    await queue.complete(claimed);
    const run = await runCli(['job', 'cancel', id], env);
    expect(run.code).toBe(7);
    expect(run.stderr).toMatch(/completed/);
  });

  test('duration options say their unit; the earlier names still work', async () => {
    const sent = await json<{ id: string }>(
      'job',
      'send',
      'cli-units',
      '{}',
      '--delay-ms',
      '60000',
    );
    const job = await queue.getJob(sent.id);
    expect(job?.runAt.getTime()).toBeGreaterThan(Date.now() + 30_000);
    const help = await runCli(['job', 'send', '--help']);
    expect(help.stdout).toContain('--delay-ms <ms>');
    expect(help.stdout).not.toMatch(/--delay </);
    expect((await runCli(['read', '--help'])).stdout).toContain('--lease-ms <ms>');
    expect((await runCli(['watch', '--help'])).stdout).toContain('--interval-ms <ms>');
  });
});
