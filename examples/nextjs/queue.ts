import { Queue } from 'pgpulse';

// lib/queue.ts: one Queue per server process. Next.js re-evaluates modules on every change in
// development, and a serverless platform may keep a warm instance between requests: keeping the
// queue on globalThis makes every evaluation reuse one pool instead of opening another.
const global = globalThis as typeof globalThis & { pgpulseQueue?: Queue };

/** The process's send-only queue: it sends jobs, it never works them (workers run elsewhere). */
export function getQueue(): Queue {
  global.pgpulseQueue ??= new Queue({
    connectionString: process.env.DATABASE_URL,
    poolSize: 2, // a send holds a connection for one statement
    listen: false, // nothing here consumes, so no LISTEN connection
  });
  return global.pgpulseQueue;
}
