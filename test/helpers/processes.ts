import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { afterAll, beforeAll } from 'vitest';

const script = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

/** A worker child process and the messages it sent. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly messages: { type: string; id?: string; pid?: number }[];
  /** Resolves with the first message matching `predicate`. */
  waitFor(
    predicate: (message: { type: string; id?: string }) => boolean,
  ): Promise<{ type: string; id?: string }>;
  /** SIGTERM and wait for a graceful exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for the process to be gone. */
  kill(): Promise<void>;
  /** The queue only this process's probe worker consumes (see worker-process.ts). */
  readonly probeQueue: string;
}

/** Starts a worker process on `queue` and waits until it listens. */
export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  const child = fork(script, [], {
    env: { ...process.env, ...env },
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages: WorkerProcess['messages'] = [];
  const waiters: {
    predicate: (m: { type: string }) => boolean;
    resolve: (m: { type: string }) => void;
  }[] = [];
  child.on('message', (message: { type: string }) => {
    messages.push(message);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(message)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const waitFor: WorkerProcess['waitFor'] = (predicate) =>
    new Promise((resolve, reject) => {
      const found = messages.find(predicate);
      if (found) return resolve(found);
      waiters.push({ predicate, resolve });
      void exited.then(() => reject(new Error(`worker ${child.pid} exited while waited on`)));
    });
  const handle: WorkerProcess = {
    child,
    probeQueue: `ready-${child.pid}`,
    messages,
    waitFor,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  await waitFor((message) => message.type === 'ready');
  return handle;
}

/**
 * For a test file that runs worker processes: creates the `handled` table they record into (see
 * worker-process.ts) before the file's tests, and returns `spawn`, which starts `size` processes
 * on the test database with `env`. Every process spawned is killed after the file's tests.
 */
export function useWorkerProcesses(
  databaseUrl: string,
  sql: pg.Pool,
): (env: Record<string, string>, size?: number) => Promise<WorkerProcess[]> {
  const children: WorkerProcess[] = [];
  beforeAll(async () => {
    await sql.query(`CREATE TABLE handled (
      job_id uuid NOT NULL, pid int NOT NULL, attempt int NOT NULL,
      started_at timestamptz NOT NULL DEFAULT clock_timestamp(), finished_at timestamptz)`);
  });
  afterAll(async () => {
    await Promise.all(children.map((child) => child.kill()));
  });
  return async (env, size = 1) => {
    const started = await Promise.all(
      Array.from({ length: size }, () =>
        startWorkerProcess({ TEST_DATABASE_URL: databaseUrl, ...env }),
      ),
    );
    children.push(...started);
    return started;
  };
}
