/**
 * The fault trial of issue 11, on a durable PostgreSQL server of its own (fsync on, as in
 * production): duplicate executions caused by 2-second server restarts, jobs run twice and lost
 * when worker processes are SIGKILLed, and how long an orphaned job waits behind a backlog.
 * `npm run bench:faults [-- --quick]`; prints a summary and writes bench/results/faults-*.json.
 */
import { rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import pg from 'pg';
import { startDevDatabase } from '../src/dev/database.js';
import { killTrial } from './faults/kills.js';
import { orphanTrial } from './faults/orphan.js';
import { type FaultResults, printSummary } from './faults/report.js';
import { restartTrial } from './faults/restarts.js';
import { killAllWorkers } from './faults/worker-processes.js';

const quick = process.argv.includes('--quick');
const jobs = quick ? 5000 : 20_000;

const SETTINGS = {
  restarts: {
    jobs,
    workers: 4,
    concurrency: 8,
    leaseMs: 10_000,
    jobMs: 3,
    downMs: 2000,
    sendSpreadMs: 10_000,
  },
  kills: {
    jobs,
    workers: 4,
    concurrency: 8,
    leaseMs: 10_000,
    jobMs: 3,
    killEveryMs: 2000,
    sendSpreadMs: 10_000,
  },
  orphan: {
    repetitions: quick ? 2 : 5,
    backlog: 10_000,
    consumers: 2,
    concurrency: 16,
    leaseMs: 2000,
    sweeperMs: 1000,
    jobMs: 5,
  },
} as const;

async function main(): Promise<void> {
  const startedAt = new Date();
  // No connection string from the environment: the trial restarts its server.
  const dev = await startDevDatabase({ envVars: [] });
  let cleaning: Promise<void> | undefined;
  const cleanup = () => {
    cleaning ??= killAllWorkers().finally(() => dev.stop());
    return cleaning;
  };
  cleanUpOnAbnormalEnd(cleanup, dev.server?.dir);
  try {
    const server = dev.server;
    if (server === undefined)
      throw new Error(`${dev.description} cannot be restarted by the trial`);
    const machine = `${cpus().length} × ${cpus()[0]?.model}; Node ${process.version}`;
    const serverText = `${await serverSettings(dev.url)}; ${dev.description}`;
    console.log(`${machine}\n${serverText}\n${quick ? 'quick run' : 'full run'}\n`);
    const logs: Record<string, string[]> = { restarts: [], kills: [], orphan: [] };
    const load: FaultResults['load'] = {};
    const part = async <T>(name: string, run: (log: (line: string) => void) => Promise<T>) => {
      const before = loadavg();
      console.log(`${name}: running (load ${before.map((x) => x.toFixed(2)).join(' ')})`);
      const result = await run((line) => logs[name]?.push(line));
      load[name] = { before, after: loadavg() };
      return result;
    };
    const restarts = await part('restarts', (log) =>
      restartTrial(server, dev.url, SETTINGS.restarts, log),
    );
    const kills = await part('kills', (log) => killTrial(dev.url, SETTINGS.kills, log));
    const orphan = await part('orphan', (log) => orphanTrial(dev.url, SETTINGS.orphan, log));
    const results: FaultResults = {
      startedAt: startedAt.toISOString(),
      quick,
      machine,
      server: serverText,
      load,
      restarts,
      kills,
      orphan,
      logs,
    };
    printSummary(results);
    const file = `bench/results/faults-${startedAt.toISOString().replaceAll(':', '-')}.json`;
    await mkdir('bench/results', { recursive: true });
    await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\nWrote ${file}`);
  } finally {
    await cleanup();
  }
}

/**
 * Interrupted, or crashed by an error nobody caught: kill the workers and destroy the server
 * anyway. Should even that fail, the server is stopped at exit (local-server.ts) and its folder
 * deleted here.
 */
function cleanUpOnAbnormalEnd(cleanup: () => Promise<void>, serverDir: string | undefined): void {
  const end = (code: number) => () => void cleanup().finally(() => process.exit(code));
  process.once('SIGINT', end(130));
  process.once('SIGTERM', end(143));
  for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
    process.once(event, (error: unknown) => {
      console.error(error);
      end(1)();
    });
  }
  process.once('exit', () => {
    if (serverDir !== undefined) rmSync(serverDir, { recursive: true, force: true });
  });
}

/** The server's version and durability settings, for the report. */
async function serverSettings(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync,
              current_setting('synchronous_commit') AS sync`,
    );
    const row = rows[0];
    return `PostgreSQL ${row.version} (fsync=${row.fsync}, synchronous_commit=${row.sync})`;
  } finally {
    await client.end();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
