import express from 'express';
import type { Queue } from 'pgpulse';
import { EMAILS } from '../shared/jobs.js';

/**
 * The HTTP side: `POST /signups` stores the user and sends their welcome mail in one
 * transaction, so a sign-up that fails sends nothing and a job never names a user who is not
 * there.
 */
export function createApp(queue: Queue): express.Express {
  const app = express();
  app.use(express.json());
  app.post('/signups', async (request, response) => {
    const email: unknown = request.body?.email;
    if (typeof email !== 'string' || !email.includes('@')) {
      response.status(400).json({ error: 'a valid email is required' });
      return;
    }
    const jobId = await queue.withTransaction(async (client) => {
      const inserted = await client.query(
        'INSERT INTO users (email) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id',
        [email],
      );
      if (inserted.rowCount === 0) return null; // taken: no user, no mail
      const { id } = await queue.send(EMAILS, { to: email }, { name: 'welcome', client });
      return id;
    });
    if (jobId === null) response.status(409).json({ error: 'this email is taken' });
    else response.status(202).json({ jobId });
  });
  return app;
}
