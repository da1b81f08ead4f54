import { type ChildProcess, fork } from 'node:child_process';
import { createInterface } from 'node:readline';

/** How long a child may take to load its code, and then to become ready, before it is killed. */
const READY_TIMEOUT_MS = 90_000;

/** How long a child told to stop may take before it is SIGKILLed. */
const STOP_TIMEOUT_MS = 20_000;

/** A message between a trial and its child processes: `type` says what it is. */
export interface Message {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** A forked child process of a trial, spoken to over IPC. */
export interface Child {
  readonly pid: number;
  /** Sends `message` to the child. */
  send(message: Message): void;
  /** Resolves with the child's first message of `type`; rejects if it exits first or times out. */
  expect(type: string, timeoutMs?: number): Promise<Message>;
  /** Calls `callback` for every message of `type`. */
  on(type: string, callback: (message: Message) => void): void;
  /** Sends `stop`, SIGKILLs after a while; resolves once the process is gone. */
  stop(): Promise<void>;
}

/** Every child started and not yet ended: killed whatever way the trial exits. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Forks `script` (TypeScript, through tsx) with `env` added to ours and waits until it says
 * `loaded`. Its stdout and stderr lines go to `log`, prefixed with its pid.
 */
export async function forkChild(
  script: string,
  env: Record<string, string>,
  log: (line: string) => void,
): Promise<Child> {
  const process_ = fork(script, [], {
    env: { ...process.env, ...env },
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const pid = process_.pid;
  if (pid === undefined) throw new Error(`${script} did not start`);
  live.add(process_);
  for (const stream of [process_.stdout, process_.stderr]) {
    if (stream !== null) createInterface({ input: stream }).on('line', (l) => log(`[${pid}] ${l}`));
  }
  let exit: string | undefined;
  const exited = new Promise<void>((resolve) =>
    process_.once('exit', (code, signal) => {
      live.delete(process_);
      exit = signal === null ? `exit code ${code}` : `signal ${signal}`;
      resolve();
    }),
  );
  const seen: Message[] = [];
  const listeners: { type: string; callback: (message: Message) => void }[] = [];
  process_.on('message', (message: Message) => {
    seen.push(message);
    for (const listener of listeners) {
      if (listener.type === message.type) listener.callback(message);
    }
  });
  const on = (type: string, callback: (message: Message) => void) => {
    listeners.push({ type, callback });
  };
  const expect = async (type: string, timeoutMs = READY_TIMEOUT_MS): Promise<Message> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        new Promise<Message>((resolve) => {
          const found = seen.find((message) => message.type === type);
          if (found !== undefined) resolve(found);
          else on(type, resolve);
        }),
        exited.then(() => {
          throw new Error(`child ${pid} ended (${exit}) before it said ${type}`);
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            process_.kill('SIGKILL');
            reject(new Error(`child ${pid} did not say ${type} within ${timeoutMs} ms`));
          }, timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
  const child: Child = {
    pid,
    send: (message) => {
      if (exit === undefined) process_.send(message);
    },
    expect,
    on,
    stop: async () => {
      if (exit !== undefined) return;
      process_.send({ type: 'stop' });
      const timer = setTimeout(() => process_.kill('SIGKILL'), STOP_TIMEOUT_MS);
      try {
        await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  await expect('loaded');
  return child;
}

/** Kills every child still running (a trial's last clean-up step). */
export async function killAllChildren(): Promise<void> {
  const ending = [...live].map(
    (child) => new Promise<void>((resolve) => child.once('exit', () => resolve())),
  );
  for (const child of live) child.kill('SIGKILL');
  await Promise.all(ending);
}
