import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { afterAll, describe, expect, test } from 'vitest';
import type { SessionInfo } from '../../src/dashboard/api-types.js';
import { createDashboard } from '../../src/dashboard/index.js';
import { useTestQueue } from '../helpers/database.js';

/**
 * The dashboard mounted under /admin/queues in each server the README shows: its page, its API
 * and a mutation with the CSRF token all answer through the host server, and the page's assets
 * resolve under the base path.
 */
const { queue } = await useTestQueue({ listen: false });
const dashboard = createDashboard(queue, { basePath: '/admin/queues' });
afterAll(() => dashboard.close());

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The checks every mount must pass, against the server at `origin`. */
async function usable(origin: string): Promise<void> {
  const page = await fetch(`${origin}/admin/queues/queues/mounted`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('src="/admin/queues/assets/app.js"');
  expect((await fetch(`${origin}/admin/queues/assets/app.js`)).status).toBe(200);
  const session = (await (await fetch(`${origin}/admin/queues/api/session`)).json()) as SessionInfo;
  const { id } = await queue.send('mounted', {});
  const cancel = await fetch(`${origin}/admin/queues/api/jobs/${id}/cancel`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-pgpulse-csrf': session.csrfToken },
    body: '{}',
  });
  expect(cancel.status).toBe(200);
  expect((await queue.getJob(id))?.state).toBe('cancelled');
}

describe('mounted under a base path', () => {
  test('node:http', async () => {
    const server = createServer((request, response) => {
      if (request.url?.startsWith('/admin/queues')) return dashboard.handler(request, response);
      response.statusCode = 404;
      response.end();
    });
    await usable(await listen(server));
  });

  test('Express, behind its own middleware', async () => {
    const app = express();
    let seen = 0;
    app.use(
      '/admin/queues',
      (_request, _response, next) => {
        seen += 1; // the application's own authentication would go here
        next();
      },
      dashboard.handler,
    );
    await usable(await listen(createServer(app)));
    expect(seen).toBeGreaterThan(0);
  });

  test('Fastify', async () => {
    const app = Fastify();
    // In onRequest, before Fastify reads the body: the dashboard reads it itself.
    app.addHook('onRequest', (request, reply, done) => {
      if (!request.url.startsWith('/admin/queues')) return done();
      reply.hijack();
      dashboard.handler(request.raw, reply.raw);
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    afterAll(() => app.close());
    await usable(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
  });

  test('Hono (any Fetch API server)', async () => {
    const app = new Hono();
    app.all('/admin/queues/*', (c) => dashboard.fetch(c.req.raw));
    const { getRequestListener } = await import('@hono/node-server');
    await usable(await listen(createServer(getRequestListener(app.fetch))));
  });
});
