import { type AddressInfo, createServer, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, useTestQueue } from '../helpers/database.js';
import { testRoles } from '../helpers/roles.js';

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

describe('help', () => {
  test('the top-level help lists every command, and each command has examples', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const command of [
      'migrate',
      'uninstall',
      'grant',
      'queue',
      'job',
      'dlq',
      'read',
      'watch',
      'work',
      'demo',
      'bench',
    ]) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    const leaves = [
      ['migrate'],
      ['uninstall'],
      ['grant'],
      ['queue', 'list'],
      ['queue', 'create'],
      ['queue', 'stats'],
      ['queue', 'pause'],
      ['queue', 'resume'],
      ['queue', 'purge'],
      ['queue', 'delete'],
      ['job', 'send'],
      ['job', 'show'],
      ['job', 'list'],
      ['job', 'cancel'],
      ['job', 'retry'],
      ['dlq', 'list'],
      ['dlq', 'redrive'],
      ['read'],
      ['watch'],
      ['work'],
      ['demo'],
    ];
    for (const leaf of leaves) {
      const run = await runCli([...leaf, '--help']);
      expect(run.code, leaf.join(' ')).toBe(0);
      expect(run.stdout, leaf.join(' ')).toMatch(/Examples?:\n {2}pgpulse /);
    }
  });
});

describe('schema', () => {
  test('migrate --dry-run prints the SQL and changes nothing; migrate applies; uninstall asks first', async () => {
    const fresh = await createTestDatabase({ migrated: false });
    const freshEnv = { DATABASE_URL: fresh.url };
    const check = new pg.Client({ connectionString: fresh.url });
    await check.connect();
    const schemaExists = async () =>
      (await check.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'pgpulse'`)).rowCount === 1;
    try {
      const dry = await runCli(['migrate', '--dry-run'], freshEnv);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toContain('-- 0001_init');
      expect(dry.stdout).toContain('CREATE TABLE "pgpulse".jobs');
      expect(await schemaExists()).toBe(false);

      const applied = await runCli(['--json', 'migrate'], freshEnv);
      expect(JSON.parse(applied.stdout)).toMatchObject({ fromVersion: 0, schema: 'pgpulse' });
      expect((await runCli(['migrate'], freshEnv)).stdout).toMatch(/up to date/);
      expect((await runCli(['migrate', '--dry-run'], freshEnv)).stdout).toMatch(/nothing to apply/);

      const refused = await runCli(['uninstall'], freshEnv);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/pass --yes/);
      expect(await schemaExists()).toBe(true);
      const dropped = await runCli(['uninstall', '--yes'], freshEnv);
      expect(dropped.stdout).toMatch(/Dropped schema pgpulse/);
      expect(await schemaExists()).toBe(false);
    } finally {
      await check.end();
      await fresh.drop();
    }
  });
});

describe('grant', () => {
  const roles = testRoles(db);
  afterAll(() => roles.dropAll());

  async function may(role: string, privilege: string, table: string): Promise<boolean> {
    const { rows } = await sql.query('SELECT has_table_privilege($1, $2, $3) AS ok', [
      role,
      table,
      privilege,
    ]);
    return rows[0].ok;
  }

  test('prints the GRANTs without a database; --json lists them', async () => {
    const printed = await runCli(['--schema', 'jobs', 'grant', 'app', '--produce', '--consume']);
    expect(printed.stderr).toBe('');
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/^-- pgpulse grant: /);
    expect(printed.stdout).toContain('GRANT USAGE ON SCHEMA "jobs" TO "app";\n');
    expect(printed.stdout).toContain(
      'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE "jobs".jobs TO "app";',
    );
    const listed = await runCli(['--json', 'grant', 'app', '--admin']);
    expect(JSON.parse(listed.stdout)).toMatchObject({
      role: 'app',
      schema: 'pgpulse',
      sets: ['admin'],
      applied: false,
      statements: expect.arrayContaining(['GRANT USAGE ON SCHEMA "pgpulse" TO "app"']),
    });
  });

  test('--apply grants them, as the owner; the role then may what the set allows', async () => {
    const app = await roles.create('cli_app');
    expect(await may(app.name, 'INSERT', 'pgpulse.jobs')).toBe(false);
    const applied = await json<{ applied: boolean; statements: string[] }>(
      'grant',
      app.name,
      '--produce',
      '--apply',
    );
    expect(applied.applied).toBe(true);
    expect(await may(app.name, 'INSERT', 'pgpulse.jobs')).toBe(true);
    expect(await may(app.name, 'DELETE', 'pgpulse.jobs')).toBe(false);
    const sent = await runCli(['job', 'send', 'cli-granted', '{}'], { DATABASE_URL: app.url });
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    const refused = await runCli(['queue', 'pause', 'cli-granted'], { DATABASE_URL: app.url });
    expect(refused.code).toBe(5); // permission denied
    expect(refused.stderr).toMatch(
      new RegExp(
        `^pgpulse: Database role "${app.name}" may not do this .*pgpulse grant ${app.name} --admin`,
      ),
    );
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('bad input: one line, exit 2, nothing granted', async () => {
    for (const [args, message] of [
      [
        ['grant', 'app'],
        /^pgpulse: Say what the role may do: --produce, --consume and\/or --admin/,
      ],
      [['grant', 'public', '--admin'], /^pgpulse: Expected `role` to be a role name/],
      [
        ['grant', 'nobody_here_at_all', '--admin', '--apply'],
        /^pgpulse: Role "nobody_here_at_all" does not exist/,
      ],
    ] as const) {
      const run = await runCli([...args], env);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('queue commands', () => {
  test('create, list, stats, pause, resume, purge and delete', async () => {
    const created = await json<{
      concurrencyLimit: number;
      rateLimit: unknown;
      fairTenants: boolean;
    }>('queue', 'create', 'cli-q', '--concurrency-limit', '3', '--rate-limit', '50/1000', '--fair');
    expect(created).toMatchObject({
      concurrencyLimit: 3,
      rateLimit: { count: 50, periodMs: 1000 },
      fairTenants: true,
    });
    // `queue upsert` is the same command: it applies settings to the queue that exists.
    expect(await json('queue', 'upsert', 'cli-q', '--lease-ms', '45000')).toMatchObject({
      leaseMs: 45000,
      concurrencyLimit: 3,
    });
    await queue.sendBatch('cli-q', [{ payload: 1 }, { payload: 2 }]);
    const list = await json<{ name: string; stats: { counts: { pending: number } } }[]>(
      'queue',
      'list',
    );
    expect(list.find((q) => q.name === 'cli-q')?.stats.counts.pending).toBe(2);
    const table = await runCli(['queue', 'list'], env);
    expect(table.stdout).toMatch(/cli-q.*≤3 running, 50\/1000ms, fair/);
    expect(await json('queue', 'stats', 'cli-q')).toMatchObject({ counts: { pending: 2 } });

    await json('queue', 'pause', 'cli-q');
    expect((await queue.queues.get('cli-q')).paused).toBe(true);
    await json('queue', 'resume', 'cli-q');
    expect((await queue.queues.get('cli-q')).paused).toBe(false);

    const notPurged = await runCli(['queue', 'purge', 'cli-q'], env);
    expect(notPurged.code).toBe(2);
    expect((await queue.stats('cli-q')).counts.pending).toBe(2);
    expect(await json('queue', 'purge', 'cli-q', '--yes')).toEqual({ pending: 2 });

    await queue.send('cli-q', 3);
    expect(await json('queue', 'delete', 'cli-q', '--yes')).toMatchObject({ jobs: 1 });
    expect((await queue.queues.get('cli-q')).createdAt).toBeNull();
  });
});

describe('job and dlq commands', () => {
  test('send with every option, then show, list, cancel', async () => {
    const sent = await json<{ id: string }>(
      'job',
      'send',
      'cli-jobs',
      '{"to":"ada"}',
      '--delay',
      '60000',
      '--priority',
      '-2',
      '--key',
      'k-1',
      '--tenant',
      'acme',
      '--max-attempts',
      '4',
      '--name',
      'mail',
    );
    const job = await queue.getJob(sent.id);
    expect(job).toMatchObject({
      payload: { to: 'ada' },
      priority: -2,
      idempotencyKey: 'k-1',
      tenant: 'acme',
      maxAttempts: 4,
      name: 'mail',
      state: 'pending',
    });
    expect(job?.runAt.getTime()).toBeGreaterThan(Date.now() + 30_000);
    const again = await json<{ id: string; duplicate: boolean }>(
      'job',
      'send',
      'cli-jobs',
      '{}',
      '--key',
      'k-1',
    );
    expect(again).toEqual({ id: sent.id, duplicate: true, replaced: false });

    const shown = await runCli(['job', 'show', sent.id], env);
    expect(shown.stdout).toMatch(/state\s+pending/);
    expect(shown.stdout).toMatch(/tenant\s+acme/);
    await json('job', 'send', 'cli-jobs', '{"n":2}', '--tenant', 'other');
    const listed = await json<{ id: string }[]>(
      'job',
      'list',
      'cli-jobs',
      '--tenant',
      'acme',
      '--state',
      'pending',
    );
    expect(listed.map((j) => j.id)).toEqual([sent.id]);
    expect(await json<unknown[]>('job', 'list', 'cli-jobs', '--limit', '1')).toHaveLength(1);

    expect(await json('job', 'cancel', sent.id)).toMatchObject({ previousState: 'pending' });
    expect((await queue.getJob(sent.id))?.state).toBe('cancelled');
  });

  test('dlq list, job retry and dlq redrive bring dead jobs back', async () => {
    const ids = await queue.sendBatch(
      'cli-dlq',
      [1, 2, 3].map((n) => ({ payload: n, maxAttempts: 1 })),
    );
    for (const job of await queue.claim('cli-dlq', { batchSize: 3 })) {
      await queue.fail(job, new Error(`broke ${job.payload}`));
    }
    const dead = await json<{ id: string; lastError: { message: string } }[]>(
      'dlq',
      'list',
      'cli-dlq',
    );
    expect(dead).toHaveLength(3);
    expect(dead[0]?.lastError.message).toMatch(/broke/);
    const human = await runCli(['dlq', 'list', 'cli-dlq'], env);
    expect(human.stdout).toMatch(/Error: broke/);

    const first = ids[0]?.id as string;
    await json('job', 'retry', first);
    expect((await queue.getJob(first))?.state).toBe('pending');
    const second = ids[1]?.id as string;
    expect(await json('dlq', 'redrive', 'cli-dlq', '--id', second)).toEqual({ redriven: [second] });
    expect(await json('dlq', 'redrive', 'cli-dlq')).toEqual({ redriven: [ids[2]?.id] });
    expect((await queue.stats('cli-dlq')).counts).toMatchObject({ dead: 0, pending: 3 });
  });

  test('read claims and prints jobs, then gives them back; --keep keeps them', async () => {
    await queue.sendBatch('cli-read', [{ payload: 'a' }, { payload: 'b' }]);
    const read = await json<{ payload: string; released: boolean }[]>(
      'read',
      'cli-read',
      '--count',
      '5',
    );
    expect(read.map((j) => j.payload).sort()).toEqual(['a', 'b']);
    expect((await queue.stats('cli-read')).counts).toMatchObject({ pending: 2, running: 0 });
    expect((await queue.listJobs('cli-read')).every((j) => j.attempts === 0)).toBe(true);
    await json('read', 'cli-read', '--keep', '--lease', '60000');
    expect((await queue.stats('cli-read')).counts.running).toBe(1);
  });
});

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
