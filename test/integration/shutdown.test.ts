import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { Queue, WorkerStoppedError } from '../../src/index.js';
import { useTestQueue } from '../helpers/database.js';
import { deferred } from '../helpers/deferred.js';
import { waitFor } from '../helpers/wait.js';

const { db, queue } = await useTestQueue();
const index = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

/** A child process running `body` (ES module code with `Queue` and `closeOnSignals` in scope). */
function child(body: string): {
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const script = `
    import { closeOnSignals, Queue } from ${JSON.stringify(index)};
    const queue = new Queue({ connectionString: process.env.DATABASE_URL });
    ${body}
  `;
  const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, DATABASE_URL: db.url },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  proc.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => resolve(code)),
  );
  return { process: proc, output: () => output, exited };
}

describe('closeOnSignals', () => {
  test('the first SIGTERM lets running jobs finish, closes the queue, and the process exits 0', async () => {
    const { id } = await queue.send('signalled', {});
    const run = child(`
      // The handler is still running when the signal arrives, and finishes during the grace.
      const signalled = new Promise((resolve) => process.once('SIGTERM', resolve));
      queue.work('signalled', async () => { console.log('running'); await signalled; return 'finished'; });
      closeOnSignals(queue, { graceMs: 60_000, onSignal: (signal) => console.log('closing on ' + signal) });
    `);
    await waitFor(() => run.output().includes('running'), 'the handler to start');
    run.process.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain('closing on SIGTERM');
    const job = await queue.getJob(id);
    expect(job).toMatchObject({ state: 'completed', result: 'finished' });
  });

  test('a second signal while closing exits at once with 130', async () => {
    await queue.send('stuck-on-signal', {});
    const run = child(`
      queue.work('stuck-on-signal', async () => { console.log('running'); await new Promise(() => {}); });
      closeOnSignals(queue, { graceMs: 600_000, onSignal: () => console.log('closing') });
    `);
    await waitFor(() => run.output().includes('running'), 'the handler to start');
    run.process.kill('SIGINT');
    await waitFor(() => run.output().includes('closing'), 'the first signal to be heard');
    run.process.kill('SIGINT');
    expect(await run.exited).toBe(130);
  });
});

describe('close({ graceMs })', () => {
  test("overrides the workers' own grace: running jobs go back to pending at once", async () => {
    const own = new Queue({ connectionString: db.url });
    const started = deferred();
    const reasons: unknown[] = [];
    own.work(
      'close-grace',
      (job) => {
        started.resolve();
        return new Promise((_, reject) =>
          job.signal.addEventListener('abort', () => {
            reasons.push(job.signal.reason);
            reject(job.signal.reason);
          }),
        );
      },
      { graceMs: 600_000 },
    );
    const { id } = await own.send('close-grace', {});
    await started.promise;
    await own.close({ graceMs: 0 });
    expect(reasons[0]).toBeInstanceOf(WorkerStoppedError);
    expect(await queue.getJob(id)).toMatchObject({ state: 'pending', attempts: 0 });
  });

  test('a bad graceMs is refused', async () => {
    const own = new Queue({ connectionString: db.url });
    await expect(own.close({ graceMs: -1 })).rejects.toMatchObject({ field: 'graceMs' });
    await own.close();
  });
});
