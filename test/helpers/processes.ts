import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
