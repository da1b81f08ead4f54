import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { firstValueFrom, toArray } from 'rxjs';
import { afterAll, describe, expect, inject, test } from 'vitest';
import { failureKind } from '../../src/db/failure.js';
import { sqlStateOf } from '../../src/db/sqlstate.js';
import {
  type ConsumerError,
  Queue,
  SchemaVersionError,
  type WorkerEvent,
} from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/database.js';
import { scratchDir } from '../helpers/scratch-dir.js';
import { waitFor } from '../helpers/wait.js';

// Permanent errors reach the caller at once; only transient ones are retried. Regression:
// `queue.events()` under a role without privileges never errored and never emitted (its LISTEN
// probe failed with `permission denied` and was retried forever), and a worker logged the same
// error at every poll.

const db = await createTestDatabase();
const unmigrated = await createTestDatabase({ migrated: false });
const role = `pgpulse_nobody_${randomBytes(4).toString('hex')}`;
const password = randomBytes(8).toString('hex');
const admin = new pg.Client({ connectionString: inject('adminUrl') });
await admin.connect();
await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
const url = new URL(db.url);
url.username = role;
url.password = password;
const noPrivilegesUrl = url.toString();
const dir = scratchDir('pgpulse-permanent');

afterAll(async () => {
  await db.drop();
  await unmigrated.drop();
  await admin.query(`DROP ROLE IF EXISTS ${role}`);
  await admin.end();
});

/** A logger that keeps everything it is told. */
function recording() {
  const lines: { level: string; message: string }[] = [];
  return {
    lines,
    logger: {
      warn: (message: string) => lines.push({ level: 'warn', message }),
      error: (message: string) => lines.push({ level: 'error', message }),
    },
  };
}

function isPermissionDenied(error: unknown): boolean {
  const cause = (error as { cause?: unknown }).cause ?? error;
  return sqlStateOf(error) === '42501' || sqlStateOf(cause) === '42501';
}

describe('a role without privileges', () => {
  test('events() errors with the permission error instead of waiting forever', async () => {
    const { logger } = recording();
    const queue = new Queue({ connectionString: noPrivilegesUrl, logger });
    try {
      const error = await firstValueFrom(queue.events()).catch((e: unknown) => e);
      expect(isPermissionDenied(error)).toBe(true);
      expect(failureKind(error)).toBe('permanent');
    } finally {
      await queue.close();
    }
  });

  test('a worker: ready rejects, one fatal event, one error log, no claiming on and on', async () => {
    const { lines, logger } = recording();
    const queue = new Queue({ connectionString: noPrivilegesUrl, logger });
    const worker = queue.work('denied', async () => undefined, { pollIntervalMs: 20 });
    const events: Promise<WorkerEvent[]> = firstValueFrom(worker.events.pipe(toArray()));
    try {
      const error = await worker.ready.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isPermissionDenied(error)).toBe(true);
      expect(worker.failure).toBe(error);
    } finally {
      await worker.stop();
    }
    const seen = await events; // completes when the worker stops
    expect(seen.filter((event) => event.type === 'error' && event.fatal)).toHaveLength(1);
    expect(lines.filter((line) => line.level === 'error')).toHaveLength(1);
    // Polling every 20 ms would have logged again and again: it stopped at the first.
    expect(lines.filter((line) => /denied/.test(line.message))).toHaveLength(1);
    await queue.close();
  });

  test('observe() errors with the permission error', async () => {
    const { logger } = recording();
    const queue = new Queue({ connectionString: noPrivilegesUrl, logger });
    try {
      const error = await firstValueFrom(queue.observe('denied')).catch((e: unknown) => e);
      expect(isPermissionDenied(error)).toBe(true);
    } finally {
      await queue.close();
    }
  });

  test('the CLI: work and watch exit 5 (permission) with one line', async () => {
    const index = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
    const module = join(dir, 'jobs.mjs');
    writeFileSync(
      module,
      `import { defineJob } from ${JSON.stringify(index)};
export const queue = 'denied';
export const noop = defineJob({ name: 'noop', handler: async () => undefined });
`,
    );
    for (const args of [['work', module], ['watch']]) {
      const run = await runCli(args, { DATABASE_URL: noPrivilegesUrl });
      expect(run.code, args[0]).toBe(5);
      expect(run.stderr.trim().split('\n'), args[0]).toHaveLength(1);
      expect(run.stderr).toMatch(/permission denied/);
    }
  });
});

describe('a database without the schema', () => {
  test('a worker is not ready and says to migrate; events() errors the same way', async () => {
    const { logger } = recording();
    const queue = new Queue({ connectionString: unmigrated.url, logger });
    const worker = queue.work('nowhere', async () => undefined, { pollIntervalMs: 20 });
    try {
      await expect(worker.ready).rejects.toBeInstanceOf(SchemaVersionError);
      await expect(firstValueFrom(queue.events())).rejects.toBeInstanceOf(SchemaVersionError);
    } finally {
      await worker.stop();
      await queue.close();
    }
  });
});

test('a transient failure is retried, not fatal: a worker started while the database is unreachable', async () => {
  const { lines, logger } = recording();
  const queue = new Queue({
    connectionString: 'postgres://nobody:pw@127.0.0.1:1/none',
    logger,
    connectTimeoutMs: 500,
  });
  const worker = queue.work('later', async () => undefined, { pollIntervalMs: 20 });
  const events: ConsumerError[] = [];
  worker.on('error', (event) => events.push(event));
  try {
    await waitFor(
      () => events.filter((event) => event.during === 'claim').length >= 10,
      'ten failed claims',
    );
    expect(events.every((event) => !event.fatal)).toBe(true);
    expect(worker.failure).toBeUndefined();
    // Warned once per kind of failure (and once each for the settings and LISTEN), not at every
    // poll.
    const kinds = new Set(events.map((event) => event.during)).size;
    expect(lines.filter((line) => line.level === 'warn').length).toBeLessThanOrEqual(kinds + 2);
    expect(lines.filter((line) => line.level === 'error')).toEqual([]);
  } finally {
    await worker.stop();
    await queue.close();
  }
});
