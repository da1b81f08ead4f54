import { closeOnSignals, Queue } from 'pgpulse';
import { consoleMailer } from '../shared/jobs.js';
import { buildApp } from './app.js';

// `tsx examples/fastify/server.ts`: SIGINT or SIGTERM closes the app (and so the queue).
const queue = new Queue({
  connectionString: process.env.DATABASE_URL ?? 'postgres://localhost/app',
});
await queue.migrate();
const app = await buildApp(queue, consoleMailer);
await app.listen({ port: 3000 });
closeOnSignals({ close: () => app.close() });
