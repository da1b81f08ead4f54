import { defineJob } from 'pgpulse';

/** What the examples' handlers send mail with: your mailer, or a fake one in tests. */
export interface Mailer {
  send(
    to: string,
    subject: string,
    options: { signal: AbortSignal },
  ): Promise<{ messageId: string }>;
}

/** The queue the examples send to and work. */
export const EMAILS = 'emails';

/** The payload of a `welcome` job. */
export interface Welcome {
  to: string;
}

/**
 * The `welcome` job's definition for a worker: the handler mails the address and its result (the
 * message id) is stored on the job. A producer sends `{ name: 'welcome' }` jobs without it.
 */
export function welcomeJob(mailer: Mailer) {
  return defineJob<Welcome, { messageId: string }>({
    name: 'welcome',
    maxAttempts: 3,
    handler: async (job) => mailer.send(job.payload.to, 'Welcome!', { signal: job.signal }),
  });
}

/** A mailer that only logs, for running the examples by hand. */
export const consoleMailer: Mailer = {
  async send(to, subject) {
    console.log(`mail to ${to}: ${subject}`);
    return { messageId: `${Date.now()}` };
  },
};
