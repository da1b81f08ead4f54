import type { Server } from 'node:http';
import { type Closable, closeOnSignals, Queue } from 'pgpulse';
import { EMAILS, type Mailer, welcomeJob } from '../shared/jobs.js';
import { createApp } from './app.js';

/** A running app: its HTTP server, its queue and worker, and how to stop them in order. */
export interface Running extends Closable {
  readonly server: Server;
  readonly queue: Queue;
}

/**
 * Starts the HTTP server and a worker in one process. Closing stops accepting requests and lets
 * those in flight finish (they may still send jobs), then closes the queue: its worker gives
 * running jobs `graceMs` to finish, and its connections end, so the process can exit.
 */
export async function start(options: {
  connectionString: string;
  mailer: Mailer;
  port?: number;
}): Promise<Running> {
  const queue = new Queue({ connectionString: options.connectionString });
  await queue.migrate();
  const worker = queue.work(EMAILS, [welcomeJob(options.mailer)], { concurrency: 10 });
  await worker.ready; // a missing schema or privilege fails the start, not the first job
  const server = createApp(queue).listen(options.port ?? 3000);
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return {
    server,
    queue,
    async close(closeOptions) {
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error === undefined ? resolve() : reject(error))),
      );
      await queue.close(closeOptions);
    },
  };
}

// Run directly (`tsx examples/express/server.ts`): SIGINT or SIGTERM closes it all gracefully.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { consoleMailer } = await import('../shared/jobs.js');
  const running = await start({
    connectionString: process.env.DATABASE_URL ?? 'postgres://localhost/app',
    mailer: consoleMailer,
  });
  closeOnSignals(running, { graceMs: 30_000 });
}
