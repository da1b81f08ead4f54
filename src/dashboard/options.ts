import { ConfigurationError } from '../kernel/errors.js';

/**
 * Who may use the dashboard: a token (sent as `Authorization: Bearer <token>`, or as the password
 * of HTTP basic auth, which the browser asks for), a user name and password (basic auth), or a
 * function of the request (for a host application's own session check).
 */
export type DashboardAuth =
  | { readonly token: string }
  | { readonly username: string; readonly password: string }
  | ((request: Request) => boolean | Promise<boolean>);

/** Options of {@link createDashboard}. */
export interface DashboardOptions {
  /**
   * The path the dashboard is mounted under in the host server, e.g. `/admin/queues` (no
   * trailing slash). Default `''`: at the root.
   */
  basePath?: string;
  /** Offer no action in the pages, and refuse every mutating request. Default false. */
  readOnly?: boolean;
  /** Require this authentication of every request. Default: none (see {@link serveDashboard}). */
  auth?: DashboardAuth;
}

/** Options of {@link serveDashboard}: where to listen, on top of {@link DashboardOptions}. */
export interface ServeDashboardOptions extends DashboardOptions {
  /** Default 4000; 0 picks a free port. */
  port?: number;
  /**
   * The address to bind. Default `127.0.0.1`. Any address but a loopback one requires `auth`:
   * the dashboard operates queues.
   */
  host?: string;
}

/** The options in force. */
export interface ResolvedDashboardOptions {
  readonly basePath: string;
  readonly readOnly: boolean;
  readonly auth: DashboardAuth | undefined;
  /**
   * Answer only requests addressed to a loopback name (`Host`): what a dashboard served on
   * loopback without auth needs against DNS rebinding, where a web page's own host name is made
   * to resolve to 127.0.0.1 and its script then reads and acts as a same-origin page would.
   */
  readonly loopbackHostsOnly: boolean;
}

const BASE_PATH = /^(\/[A-Za-z0-9._~-]+)*$/;

export function resolveDashboardOptions(options: DashboardOptions = {}): ResolvedDashboardOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError('dashboard options must be an object', { field: 'options' });
  }
  const basePath = options.basePath ?? '';
  if (typeof basePath !== 'string' || !BASE_PATH.test(basePath)) {
    throw new ConfigurationError(
      `dashboard basePath must be '' or a path like /admin/queues (no trailing slash), got ${JSON.stringify(basePath)}`,
      { field: 'basePath' },
    );
  }
  if (options.readOnly !== undefined && typeof options.readOnly !== 'boolean') {
    throw new ConfigurationError('dashboard readOnly must be a boolean', { field: 'readOnly' });
  }
  checkAuth(options.auth);
  return {
    basePath,
    readOnly: options.readOnly ?? false,
    auth: options.auth,
    loopbackHostsOnly: false,
  };
}

function checkAuth(auth: DashboardAuth | undefined): void {
  if (auth === undefined || typeof auth === 'function') return;
  const fine =
    typeof auth === 'object' &&
    auth !== null &&
    ('token' in auth
      ? typeof auth.token === 'string' && auth.token.length >= 16
      : typeof auth.username === 'string' &&
        auth.username !== '' &&
        !auth.username.includes(':') &&
        typeof auth.password === 'string' &&
        auth.password.length >= 8);
  if (!fine) {
    throw new ConfigurationError(
      'dashboard auth must be { token } (at least 16 characters), { username, password } (a password of at least 8) or a function of the request',
      { field: 'auth' },
    );
  }
}

/** Whether an address to bind reaches only this machine. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}

/** The port and host of {@link serveDashboard}, checked: a non-loopback bind needs auth. */
export function resolveListen(options: ServeDashboardOptions): { port: number; host: string } {
  const port = options.port ?? 4000;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigurationError(`dashboard port must be 0 to 65535, got ${String(port)}`, {
      field: 'port',
    });
  }
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '') {
    throw new ConfigurationError('dashboard host must be a non-empty string', { field: 'host' });
  }
  if (!isLoopback(host) && options.auth === undefined) {
    throw new ConfigurationError(
      `refusing to serve the dashboard on ${host} without authentication: give auth (a token, or a user name and password), or bind 127.0.0.1`,
      { field: 'auth' },
    );
  }
  return { port, host };
}
