import { afterAll } from 'vitest';
import type { SessionInfo } from '../../src/dashboard/api-types.js';
import { createDashboard, type DashboardOptions } from '../../src/dashboard/index.js';
import type { Queue } from '../../src/index.js';

/** An answer of the dashboard's API. */
export interface ApiAnswer<T> {
  status: number;
  body: T;
}

/**
 * A dashboard over `queue` for a test file (closed after it), and `api`, which calls its JSON API
 * as its page does: with the CSRF token of its session on every request unless `headers` says
 * otherwise.
 */
export async function useDashboardApi(queue: Queue, options: DashboardOptions = {}) {
  const basePath = options.basePath ?? '';
  const dashboard = createDashboard(queue, options);
  afterAll(() => dashboard.close());
  const response = await dashboard.fetch(new Request(`http://x${basePath}/api/session`));
  const session = (await response.json()) as SessionInfo;
  async function api<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = { 'x-pgpulse-csrf': session.csrfToken },
  ): Promise<ApiAnswer<T>> {
    const answer = await dashboard.fetch(
      new Request(`http://x${basePath}/api${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
    return { status: answer.status, body: (await answer.json()) as T };
  }
  return { dashboard, session, api };
}
