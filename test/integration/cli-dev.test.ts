import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, test } from 'vitest';
import { Queue } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/database.js';
import { scratchDir } from '../helpers/scratch-dir.js';

const db = await createTestDatabase();
const queue = new Queue({ connectionString: db.url, listen: false });
const dir = scratchDir('pgpulse-cli');
const unreachable = 'postgres://nobody:wrong-pw@127.0.0.1:1/nowhere';
afterAll(async () => {
  await queue.close();
  await db.drop();
});

function configFile(name: string, databaseUrl: string): string {
  const path = join(dir, name);
  writeFileSync(path, `databaseUrl: ${JSON.stringify(databaseUrl)}\n`);
  return path;
}

/** Sends one job through the CLI with `args` and `env`, and says whether it reached `db`. */
async function sendsTo(args: string[], env: Record<string, string>, tag: string) {
  const run = await runCli(
    [...args, '--json', 'job', 'send', 'cli-conn', JSON.stringify({ tag })],
    env,
  );
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const { id } = JSON.parse(run.stdout) as { id: string };
  const job = await queue.getJob(id);
  expect(job?.payload).toEqual({ tag });
}

describe('where the connection comes from', () => {
  test('--database-url wins over DATABASE_URL, which wins over the config file', async () => {
    await sendsTo(['--database-url', db.url], { DATABASE_URL: unreachable }, 'flag');
    const badFile = configFile('bad.yaml', unreachable);
    await sendsTo(['--config', badFile], { DATABASE_URL: db.url }, 'env');
  });

  test('the config file, named by --config or PGPULSE_CONFIG', async () => {
    const good = configFile('good.yaml', db.url);
    await sendsTo(['--config', good], {}, 'config flag');
    await sendsTo([], { PGPULSE_CONFIG: good }, 'config env');
  });

  test('a missing config file, or a schema that is not installed, is one clear line', async () => {
    const missing = await runCli(['--config', join(dir, 'nope.yaml'), 'queue', 'list']);
    expect(missing.code).toBe(2); // configuration
    expect(missing.stderr).toMatch(/^pgpulse: .*nope\.yaml/);
    const schema = await runCli(['--schema', 'elsewhere', 'queue', 'list'], {
      DATABASE_URL: db.url,
    });
    expect(schema.code).toBe(4); // schema
    expect(schema.stderr).toMatch(
      /^pgpulse: The pgpulse schema "elsewhere" in the database at postgres:.* is not installed: run `pgpulse migrate` first\n$/,
    );
    expect(schema.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('demo and bench', () => {
  const serverUrl = inject('adminUrl');
  // A whole demo takes seconds alone, but more than a minute on a loaded CI machine.
  const DEMO_MS = 150_000;

  test(
    'demo runs on the server it is given, in a database of its own, and exits cleanly',
    async () => {
      const run = await runCli(['--database-url', serverUrl, 'demo'], {}, { timeoutMs: DEMO_MS });
      expect(run.stderr).not.toMatch(/Error/);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/: --database-url \(/); // not an embedded server of its own
      expect(run.stdout).toMatch(/p50/);
      expect(run.stdout).toMatch(/p99/);
    },
    DEMO_MS + 30_000,
  );

  test.each(['PGPULSE_DATABASE_URL', 'DATABASE_URL'])(
    'demo takes its server from %s, as every command does',
    async (variable) => {
      const run = await runCli(['demo'], { [variable]: serverUrl }, { timeoutMs: DEMO_MS });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(`: ${variable} (`);
    },
    DEMO_MS + 30_000,
  );

  test('bench passes its flags through to the benchmark', async () => {
    const help = await runCli(['bench', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--scenarios/);
    expect(help.stdout).toMatch(/--contenders/);

    const out = join(dir, 'bench');
    const run = await runCli([
      '--database-url',
      serverUrl,
      'bench',
      '--quick',
      '--scenarios',
      'idle-latency',
      '--contenders',
      'pgpulse,floor',
      '--out',
      out,
    ]);
    expect(run.code, run.stderr).toBe(0);
    // A partial run never replaces the reference: it goes to runs/, and says so.
    expect(readdirSync(out).filter((file) => file.startsWith('latest'))).toEqual([]);
    expect(run.stdout).toMatch(/the reference \(latest\.json\) changes only with a full run/);
    const written = readdirSync(join(out, 'runs'));
    const report = written.find((file) => file.endsWith('.json'));
    expect(report, written.join(', ')).toBeDefined();
    const result = JSON.parse(readFileSync(join(out, 'runs', report as string), 'utf8')) as {
      postgres: { server: string };
      contenders: unknown;
    };
    expect(result.postgres.server).toMatch(/^--database-url \(/);
    expect(JSON.stringify(result.contenders)).toMatch(/pgpulse/);
    expect(JSON.stringify(result.contenders)).toMatch(/floor/);
  });

  test('bench refuses an unknown scenario with one line', async () => {
    const run = await runCli(['bench', '--scenarios', 'warp-speed', '--contenders', 'pgpulse']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/warp-speed/);
  });
});
