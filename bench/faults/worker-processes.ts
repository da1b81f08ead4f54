import { type ChildProcess, fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** How long a worker process may take to load, and then to listen, before the trial gives up. */
const READY_TIMEOUT_MS = 60_000;

/** How long a SIGTERMed worker may take to stop gracefully before it is SIGKILLed. */
const STOP_TIMEOUT_MS = 15_000;

/** How a worker process ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** `Date.now()` when it ended. */
  readonly at: number;
}

/** A worker process of the trial (see worker.ts). */
export interface WorkerProcess {
  readonly pid: number;
  /** The `worker_id` its claims record. */
  readonly workerId: string;
  /** Resolves when the process has ended, however it ended. */
  readonly exited: Promise<Exit>;
  /** `Date.now()` when it was ready (listening); 0 until then. */
  readyAt: number;
  /** Set once the process has ended. */
  exit: Exit | undefined;
  /** Ids of jobs whose handler run could not be written to `handled`. */
  readonly unrecorded: string[];
  /** Resolves with the id of the first `hold` job this process started. */
  readonly heldJob: Promise<string>;
  /** Starts consuming (a process launched by {@link launchWorker}); resolves once it listens. */
  start(): Promise<void>;
  /** SIGKILL, and wait until the process is gone. */
  kill(): Promise<Exit>;
  /** SIGTERM (a graceful stop), SIGKILL if that takes too long; waits until it is gone. */
  stop(): Promise<Exit>;
}

/** Every worker process started and not yet ended: killed whatever way the trial exits. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Starts a worker process (see {@link launchWorker}) and waits until it consumes. */
export async function startWorker(
  env: Record<string, string>,
  log: (line: string) => void,
): Promise<WorkerProcess> {
  const worker = await launchWorker(env, log);
  await worker.start();
  return worker;
}

/**
 * Forks a worker process with `env` (FAULTS_* variables, see worker.ts) and waits until it has
 * loaded its code, which takes seconds on a busy machine; it consumes nothing until `start()`.
 * Its output lines go to `log`, prefixed with its pid.
 */
export async function launchWorker(
  env: Record<string, string>,
  log: (line: string) => void,
): Promise<WorkerProcess> {
  const child = fork(script, [], {
    env: { ...process.env, ...env },
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('the worker process did not start');
  live.add(child);
  for (const stream of [child.stdout, child.stderr]) {
    if (stream !== null) createInterface({ input: stream }).on('line', (l) => log(`[${pid}] ${l}`));
  }
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      handle.exit = { code, signal, at: Date.now() };
      resolve(handle.exit);
    }),
  );
  const messages = messagesOf(child);
  /** Resolves with the first message of `type`; rejects if the process ends or takes too long. */
  const expect = async (type: string) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), READY_TIMEOUT_MS);
    try {
      await Promise.race([
        messages.next(type),
        exited.then((exit) => {
          throw new Error(`worker ${pid} exited before it was ${type} (${describeExit(exit)})`);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
  const handle: WorkerProcess = {
    pid,
    workerId: `faults-${pid}`,
    exited,
    readyAt: 0,
    exit: undefined,
    unrecorded: [],
    heldJob: messages.next('started').then((message) => message.id ?? ''),
    start: async () => {
      child.send({ type: 'start' });
      await expect('ready');
      handle.readyAt = Date.now();
    },
    kill: async () => {
      if (handle.exit === undefined) child.kill('SIGKILL');
      return exited;
    },
    stop: async () => {
      if (handle.exit !== undefined) return handle.exit;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  messages.onEach('unrecorded', (message) => handle.unrecorded.push(message.id ?? ''));
  await expect('loaded');
  return handle;
}

/** Kills every worker process still running (the trial's last clean-up step). */
export async function killAllWorkers(): Promise<void> {
  const ending = [...live].map(
    (child) => new Promise<void>((resolve) => child.once('exit', () => resolve())),
  );
  for (const child of live) child.kill('SIGKILL');
  await Promise.all(ending);
}

/** `exit code 0`, `signal SIGKILL`. */
export function describeExit(exit: Exit): string {
  return exit.signal === null ? `exit code ${exit.code}` : `signal ${exit.signal}`;
}

interface Message {
  type: string;
  id?: string;
}

/** The IPC messages of a child, by type. */
function messagesOf(child: ChildProcess) {
  const seen: Message[] = [];
  const listeners: { type: string; callback: (message: Message) => void }[] = [];
  child.on('message', (message: Message) => {
    seen.push(message);
    for (const listener of listeners) {
      if (listener.type === message.type) listener.callback(message);
    }
  });
  const onEach = (type: string, callback: (message: Message) => void) => {
    listeners.push({ type, callback });
  };
  const next = (type: string) =>
    new Promise<Message>((resolve) => {
      const found = seen.find((message) => message.type === type);
      if (found !== undefined) resolve(found);
      else onEach(type, resolve);
    });
  return { next, onEach };
}
