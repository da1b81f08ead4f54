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
      'schedule',
      'flow',
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
      ['schedule', 'list'],
      ['schedule', 'set'],
      ['schedule', 'pause'],
      ['schedule', 'resume'],
      ['schedule', 'trigger'],
      ['schedule', 'remove'],
      ['flow', 'show'],
      ['flow', 'cancel'],
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
