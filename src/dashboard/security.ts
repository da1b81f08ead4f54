import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import { type DashboardAuth, isLoopback } from './options.js';

/** The header a mutating request carries its CSRF token in. */
export const CSRF_HEADER = 'x-pgpulse-csrf';

/** Equal strings, compared in constant time. */
function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** A fresh CSRF token for one dashboard. */
export function newCsrfToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The response headers of every page and answer: a Content-Security-Policy that lets the page
 * load only its own script, style and API (no inline script or style, no frames, no plugins),
 * no sniffing, no referrer, and no embedding in another site.
 */
export const securityHeaders: MiddlewareHandler = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    fontSrc: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
  crossOriginEmbedderPolicy: false,
  referrerPolicy: 'no-referrer',
  xFrameOptions: 'DENY',
});

/** Request bodies (settings, ids to redrive) are small: anything larger is refused. */
export const smallBodies: MiddlewareHandler = bodyLimit({
  maxSize: 256 * 1024,
  onError: (c) => c.json({ error: { code: 'validation', message: 'request body too large' } }, 413),
});

/** The credentials of a request, from `Authorization`: a bearer token or basic auth. */
function credentials(header: string | undefined): { user?: string; secret: string } | null {
  if (header === undefined) return null;
  const [scheme, value = ''] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer') return { secret: value };
  if (scheme?.toLowerCase() !== 'basic') return null;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { user: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/**
 * Refuses a request without the credentials `auth` asks for, with 401 and a basic-auth
 * challenge (the browser then asks for them).
 */
export function authenticate(auth: DashboardAuth): MiddlewareHandler {
  return async (c, next) => {
    let allowed: boolean;
    if (typeof auth === 'function') {
      allowed = await auth(c.req.raw);
    } else {
      const given = credentials(c.req.header('authorization'));
      allowed =
        given !== null &&
        ('token' in auth
          ? same(given.secret, auth.token)
          : given.user !== undefined &&
            same(given.user, auth.username) &&
            same(given.secret, auth.password));
    }
    if (allowed) return next();
    c.header('WWW-Authenticate', 'Basic realm="pgpulse dashboard", charset="UTF-8"');
    return c.json({ error: { code: 'unauthorized', message: 'authentication required' } }, 401);
  };
}

/**
 * Guards mutating requests: refused outright in read-only mode; otherwise they must carry the
 * dashboard's CSRF token (which only its own pages can read) and come from its own origin.
 */
export function guardMutations(csrfToken: string, readOnly: boolean): MiddlewareHandler {
  return async (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return next();
    if (readOnly) {
      return c.json({ error: { code: 'read-only', message: 'this dashboard is read-only' } }, 403);
    }
    const token = c.req.header(CSRF_HEADER);
    const site = c.req.header('sec-fetch-site');
    if (
      token === undefined ||
      !same(token, csrfToken) ||
      (site !== undefined && site !== 'same-origin')
    ) {
      return c.json(
        {
          error: { code: 'csrf', message: 'missing or wrong CSRF token, or a cross-site request' },
        },
        403,
      );
    }
    return next();
  };
}

/**
 * Refuses a request whose `Host` is not a loopback name (localhost, 127.x.x.x, [::1]): a page of
 * another site whose host name was made to resolve to 127.0.0.1 (DNS rebinding) gets nothing.
 */
export const loopbackHostsOnly: MiddlewareHandler = async (c, next) => {
  const host = c.req.header('host') ?? '';
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  if (name !== undefined && isLoopback(name)) return next();
  return c.json(
    {
      error: {
        code: 'forbidden-host',
        message: 'this dashboard answers only to localhost: give it auth to serve other names',
      },
    },
    403,
  );
};
