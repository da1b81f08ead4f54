import { request } from 'node:http';
import { describe, expect, test } from 'vitest';
import { serveDashboard } from '../../src/dashboard/index.js';
import { ConfigurationError } from '../../src/index.js';
import { useTestQueue } from '../helpers/database.js';

const { queue } = await useTestQueue({ listen: false });

describe('serving on its own', () => {
  test('a non-loopback bind without auth refuses to start', async () => {
    await expect(serveDashboard(queue, { host: '0.0.0.0', port: 0 })).rejects.toThrow(
      ConfigurationError,
    );
  });

  test('with a token, a request without it gets 401 and a basic-auth challenge', async () => {
    const token = 'a-long-enough-token-123';
    const server = await serveDashboard(queue, { host: '0.0.0.0', port: 0, auth: { token } });
    try {
      const url = server.url.replace('0.0.0.0', '127.0.0.1');
      const refused = await fetch(`${url}api/session`);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toContain('Basic');
      const basic = Buffer.from(`ops:${token}`).toString('base64');
      const allowed = await fetch(`${url}api/session`, {
        headers: { authorization: `Basic ${basic}` },
      });
      expect(allowed.status).toBe(200);
      const bearer = await fetch(`${url}api/overview`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(bearer.status).toBe(200);
    } finally {
      await server.close();
    }
  });

  test('without auth it answers only to loopback names (DNS rebinding)', async () => {
    const server = await serveDashboard(queue, { port: 0 });
    const { port } = new URL(server.url);
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, path: '/api/session', headers: { host } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    try {
      expect(await status(`evil.example:${port}`)).toBe(403);
      expect(await status(`localhost:${port}`)).toBe(200);
      expect(await status(`127.0.0.1:${port}`)).toBe(200);
    } finally {
      await server.close();
    }
  });
});
