/**
 * pgpulse/dashboard: a live web dashboard over a {@link Queue}, to mount in your own server or to
 * serve on its own (`pgpulse dashboard` on the command line).
 *
 * @packageDocumentation
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener, serve } from '@hono/node-server';
import { contextOf } from '../db/context.js';
import { VERSION } from '../kernel/version.js';
import type { Queue } from '../queue.js';
import { dashboardApp } from './app.js';
import { LiveFeed } from './live.js';
import {
  type DashboardOptions,
  type ResolvedDashboardOptions,
  resolveDashboardOptions,
  resolveListen,
  type ServeDashboardOptions,
} from './options.js';
import { newCsrfToken } from './security.js';

export type {
  ApiError,
  Count,
  CountState,
  FlowDetail,
  FlowList,
  FlowSummary,
  JobDetail,
  JobListQuery,
  JobPage,
  JobSummary,
  ListState,
  LiveJobEvent,
  Overview,
  PurgeRequest,
  QueueDetail,
  QueueOverview,
  RedriveRequest,
  ScheduleAnswer,
  ScheduleList,
  ScheduleTriggered,
  SearchResult,
  SeriesPoint,
  SessionInfo,
  Wire,
  WorkerList,
} from './api-types.js';
export type { DashboardAuth, DashboardOptions, ServeDashboardOptions } from './options.js';

/** A dashboard, ready to be mounted. */
export interface Dashboard {
  /**
   * Answers a request (the Fetch API's `Request` → `Response`): for Hono, Next.js route handlers,
   * Bun, Deno. The request's path must include the base path.
   */
  fetch(request: Request): Promise<Response>;
  /**
   * A `node:http` request listener: for `http.createServer`, Express (mounted with `app.use`
   * under the base path: Express's `originalUrl` is used) and Fastify (in an `onRequest` hook,
   * before it reads the body: `reply.hijack()`, then `handler(request.raw, reply.raw)`).
   */
  readonly handler: (request: IncomingMessage, response: ServerResponse) => void;
  /** Stops its event subscription and live streams. The queue stays open. */
  close(): Promise<void>;
}

/**
 * A dashboard over `queue`'s database: every queue of its schema, live. Mount it in your server
 * under `basePath` (with your own authentication, or `auth`), or use {@link serveDashboard}.
 * While it is open it subscribes to `queue.events()` (its throughput charts count from then on).
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { createDashboard } from 'pgpulse/dashboard';
 *
 * const dashboard = createDashboard(queue, { basePath: '/admin/queues' });
 * const app = express();
 * app.use('/admin/queues', requireAdmin, dashboard.handler); // your own authentication
 * ```
 */
export function createDashboard(queue: Queue, options?: DashboardOptions): Dashboard {
  return buildDashboard(queue, resolveDashboardOptions(options));
}

function buildDashboard(queue: Queue, resolved: ResolvedDashboardOptions): Dashboard {
  const ctx = contextOf(queue);
  const live = new LiveFeed(queue, ctx);
  const session = { readOnly: resolved.readOnly, csrfToken: newCsrfToken(), version: VERSION };
  const app = dashboardApp({ queue, ctx, live, session }, resolved);
  live.start();
  const listener = getRequestListener(app.fetch, { overrideGlobalObjects: false });
  return {
    fetch: async (request) => app.fetch(request),
    handler: (request, response) => {
      // Express strips its mount path from `url` and keeps the whole one in `originalUrl`.
      const original = (request as IncomingMessage & { originalUrl?: string }).originalUrl;
      if (typeof original === 'string') request.url = original;
      void listener(request, response);
    },
    close: async () => live.close(),
  };
}

/** A dashboard serving on its own port, from {@link serveDashboard}. */
export interface DashboardServer {
  /** Where it listens, e.g. `http://127.0.0.1:4000/`. */
  readonly url: string;
  /** Stops listening and closes the dashboard. The queue stays open. */
  close(): Promise<void>;
}

/**
 * Serves a dashboard on `host:port` (default 127.0.0.1:4000). Binding any address but a loopback
 * one requires `auth`, and is refused without it (a `ConfigurationError`, before listening).
 */
export async function serveDashboard(
  queue: Queue,
  options: ServeDashboardOptions = {},
): Promise<DashboardServer> {
  const { port, host } = resolveListen(options);
  const { port: _port, host: _host, ...rest } = options;
  // Without auth the server is on loopback (resolveListen): answer loopback names only.
  const dashboard = buildDashboard(queue, {
    ...resolveDashboardOptions(rest),
    loopbackHostsOnly: rest.auth === undefined,
  });
  const server = serve({
    fetch: dashboard.fetch,
    port,
    hostname: host,
    overrideGlobalObjects: false,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  } catch (error) {
    await dashboard.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}${rest.basePath ?? ''}/`,
    close: async () => {
      await dashboard.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}
