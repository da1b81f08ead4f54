import Fastify, { type FastifyInstance } from 'fastify';
import type { Queue } from 'pgpulse';
import { EMAILS, type Mailer, welcomeJob } from '../shared/jobs.js';

/**
 * A Fastify app that sends jobs from a route and works them in the same process. The queue is
 * closed by Fastify's `onClose` hook, which runs once the server has stopped accepting requests
 * and those in flight have finished: `await app.close()` (or a signal, see server.ts) stops the
 * worker gracefully and ends the queue's connections.
 */
export async function buildApp(queue: Queue, mailer: Mailer): Promise<FastifyInstance> {
  const app = Fastify();
  const worker = queue.work(EMAILS, [welcomeJob(mailer)]);
  app.addHook('onReady', () => worker.ready);
  app.addHook('onClose', () => queue.close({ graceMs: 30_000 }));

  app.post<{ Body: { email?: unknown } }>('/signups', async (request, reply) => {
    const { email } = request.body ?? {};
    if (typeof email !== 'string' || !email.includes('@')) {
      return reply.code(400).send({ error: 'a valid email is required' });
    }
    const { id } = await queue.send(EMAILS, { to: email }, { name: 'welcome' });
    return reply.code(202).send({ jobId: id });
  });
  await app.ready();
  return app;
}
