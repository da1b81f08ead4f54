import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isTransient } from '../db/failure.js';
import { isPgPulseError, PgPulseError } from '../kernel/errors.js';
import type { JobEvent } from '../observe/job-events.js';
import { actionRoutes } from './action-routes.js';
import type { Overview } from './api-types.js';
import type { ResolvedDashboardOptions } from './options.js';
import { type DashboardDeps, readRoutes } from './read-routes.js';
import {
  authenticate,
  guardMutations,
  loopbackHostsOnly,
  securityHeaders,
  smallBodies,
} from './security.js';

/** The bundled UI (`npm run build` writes it): dist/dashboard/assets/ of the package. */
const ASSETS = new URL('../../dist/dashboard/assets/', import.meta.url);
const ASSET_TYPES: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

/** The UI's files, read once; a missing build is said plainly rather than served broken. */
function loadAssets(): Map<string, string> {
  const assets = new Map<string, string>();
  for (const name of Object.keys(ASSET_TYPES)) {
    try {
      assets.set(name, readFileSync(new URL(name, ASSETS), 'utf8'));
    } catch {
      // reported by the page
    }
  }
  return assets;
}

/** The one HTML page: the UI finds its base path in a meta tag (no inline script: CSP). */
function shell(basePath: string): string {
  const base = basePath.replace(/[&<>"']/g, '');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="pgpulse-base" content="${base}"><title>pgpulse</title><link rel="icon" href="data:,"><link rel="stylesheet" href="${base}/assets/app.css"><script type="module" src="${base}/assets/app.js"></script></head><body><div id="app"></div></body></html>`;
}

/** Job events waiting for one slow browser, at most. */
const MAX_QUEUED_EVENTS = 1_000;

/** HTTP statuses of pgpulse's errors; the rest is a 500 whose details stay in the server log. */
const STATUS: Record<string, [ContentfulStatusCode, string]> = {
  PGPULSE_VALIDATION: [400, 'validation'],
  PGPULSE_JOB_NOT_FOUND: [404, 'not-found'],
  PGPULSE_QUEUE_NOT_FOUND: [404, 'not-found'],
  PGPULSE_SCHEDULE_NOT_FOUND: [404, 'not-found'],
  PGPULSE_INVALID_STATE: [409, 'invalid-state'],
  PGPULSE_QUEUE_BUSY: [409, 'invalid-state'],
  PGPULSE_PERMISSION: [403, 'permission'],
};

/** The dashboard's web application: pages, assets, the JSON API and its live stream. */
export function dashboardApp(deps: DashboardDeps, options: ResolvedDashboardOptions): Hono {
  const assets = loadAssets();
  const app = new Hono().basePath(options.basePath);
  app.use('*', securityHeaders);
  if (options.loopbackHostsOnly) app.use('*', loopbackHostsOnly);
  if (options.auth !== undefined) app.use('*', authenticate(options.auth));
  app.use('/api/*', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
  });
  app.use('/api/*', smallBodies);
  app.use('/api/*', guardMutations(deps.session.csrfToken, options.readOnly));

  app.route('/api', readRoutes(deps));
  app.route('/api', actionRoutes(deps));
  app.get('/api/live', (c) => {
    if (deps.live.closed) {
      return c.json({ error: { code: 'unavailable', message: 'the dashboard is closed' } }, 503);
    }
    return streamSSE(c, async (stream) => {
      // What waits to be written: the newest overview, and job events up to a bound (a browser
      // that reads slowly loses events, never the server its memory).
      let overview: Overview | undefined;
      const events: JobEvent[] = [];
      let dropped = 0;
      let ended = false;
      let wake: (() => void) | undefined;
      const disconnect = deps.live.connect(
        (message) => {
          if (message.kind === 'overview') overview = message.overview;
          else if (events.length < MAX_QUEUED_EVENTS) events.push(message.event);
          else dropped += 1;
          wake?.();
        },
        () => {
          ended = true;
          wake?.();
        },
      );
      stream.onAbort(() => {
        ended = true;
        disconnect();
        wake?.();
      });
      overview = await deps.live.overview().catch(() => undefined);
      while (!ended && !stream.aborted && !stream.closed) {
        if (overview === undefined && events.length === 0) {
          // Wait for a message, or 15 s for a keep-alive comment.
          const idle = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(true), 15_000);
            wake = () => {
              clearTimeout(timer);
              resolve(false);
            };
          });
          wake = undefined;
          if (idle) await stream.write(': keep-alive\n\n');
          continue;
        }
        if (overview !== undefined) {
          const data = JSON.stringify(overview);
          overview = undefined;
          await stream.writeSSE({ event: 'overview', data });
        }
        for (const event of events.splice(0)) {
          await stream.writeSSE({ event: 'job', data: JSON.stringify(event) });
        }
        if (dropped > 0) {
          await stream.write(`: ${dropped} job events dropped (the browser read too slowly)\n\n`);
          dropped = 0;
        }
      }
      disconnect();
    });
  });
  app.all('/api/*', (c) =>
    c.json(
      { error: { code: 'not-found', message: `no API route ${c.req.method} ${c.req.path}` } },
      404,
    ),
  );

  app.get('/assets/:file', (c) => {
    const file = c.req.param('file');
    const body = assets.get(file);
    if (body === undefined)
      return c.text('not found (was the dashboard built? npm run build)', 404);
    c.header('Content-Type', ASSET_TYPES[file] as string);
    c.header('Cache-Control', 'no-cache');
    return c.body(body);
  });
  app.get('*', (c) => {
    if (assets.size < Object.keys(ASSET_TYPES).length) {
      return c.text('The dashboard UI is not built: run npm run build.', 500);
    }
    return c.html(shell(options.basePath));
  });

  app.onError((error, c) => {
    if (isPgPulseError(error)) {
      const [status, code] = STATUS[error.code] ?? [500, 'internal'];
      if (status !== 500) return c.json({ error: { code, message: error.message } }, status);
    }
    const transient = isTransient(error);
    deps.ctx.options.logger.warn('pgpulse: a dashboard request failed', {
      scope: 'pgpulse.dashboard',
      path: c.req.path,
      error: error instanceof Error ? error.message : String(error),
    });
    return c.json(
      {
        error: {
          code: transient ? 'unavailable' : 'internal',
          message: transient
            ? 'the database cannot be reached right now; try again'
            : error instanceof PgPulseError
              ? error.message
              : 'internal error (see the server log)',
        },
      },
      transient ? 503 : 500,
    );
  });
  return app;
}
