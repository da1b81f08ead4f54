import { ValidationError } from 'pgpulse';
import { EMAILS } from '../shared/jobs.js';
import { getQueue } from './queue.js';

// app/api/signups/route.ts: a Route Handler (web Request in, Response out) that sends a job.
export async function POST(request: Request): Promise<Response> {
  const body = (await request.json().catch(() => null)) as { email?: unknown } | null;
  if (typeof body?.email !== 'string') {
    return Response.json({ error: 'email is required' }, { status: 400 });
  }
  try {
    const { id } = await getQueue().send(EMAILS, { to: body.email }, { name: 'welcome' });
    return Response.json({ jobId: id }, { status: 202 });
  } catch (error) {
    if (error instanceof ValidationError) {
      return Response.json({ error: error.message }, { status: 400 });
    }
    throw error;
  }
}
