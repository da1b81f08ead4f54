import type { Command } from 'commander';
import { serveDashboard } from '../../dashboard/index.js';
import type { DashboardAuth } from '../../dashboard/options.js';
import { ConfigurationError } from '../../kernel/errors.js';
import { integer } from '../parse.js';
import { type GlobalOptions, runCommand } from '../runtime.js';

interface DashboardFlags {
  port?: number;
  host?: string;
  basePath?: string;
  readOnly?: boolean;
  token?: string;
  basicAuth?: string;
}

/** The authentication the flags (or their environment variables) ask for. */
function authOf(flags: DashboardFlags): DashboardAuth | undefined {
  const token = flags.token ?? process.env.PGPULSE_DASHBOARD_TOKEN;
  const basic = flags.basicAuth ?? process.env.PGPULSE_DASHBOARD_BASIC_AUTH;
  if (token !== undefined && basic !== undefined) {
    throw new ConfigurationError('give either --token or --basic-auth, not both', {
      field: 'auth',
    });
  }
  if (token !== undefined) return { token };
  if (basic === undefined) return undefined;
  const colon = basic.indexOf(':');
  if (colon < 1) {
    throw new ConfigurationError('--basic-auth must be user:password', { field: 'auth' });
  }
  return { username: basic.slice(0, colon), password: basic.slice(colon + 1) };
}

/** `pgpulse dashboard`: the live web dashboard, until SIGINT or SIGTERM. */
export function dashboardCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('dashboard')
    .description('Serve the live web dashboard of every queue (until Ctrl-C)')
    .option('--port <n>', 'port to listen on (0: any free one)', integer('--port', 0, 65_535), 4000)
    .option(
      '--host <address>',
      'address to bind; any but loopback needs --token or --basic-auth',
      '127.0.0.1',
    )
    .option('--base-path <path>', 'serve under this path, e.g. /pgpulse')
    .option('--read-only', 'offer no action, and refuse every one')
    .option('--token <token>', 'require this token (env PGPULSE_DASHBOARD_TOKEN)')
    .option('--basic-auth <user:password>', 'require basic auth (env PGPULSE_DASHBOARD_BASIC_AUTH)')
    .addHelpText(
      'after',
      '\nExamples:\n  pgpulse dashboard\n  pgpulse dashboard --port 8080 --read-only\n  PGPULSE_DASHBOARD_TOKEN=... pgpulse dashboard --host 0.0.0.0',
    )
    .action((flags: DashboardFlags) =>
      runCommand(globals(), async (cli) => {
        const queue = cli.queue();
        await queue.stats(); // the database and schema answer before anything is served
        const auth = authOf(flags);
        const server = await serveDashboard(queue, {
          port: flags.port ?? 4000,
          host: flags.host ?? '127.0.0.1',
          readOnly: flags.readOnly === true,
          ...(flags.basePath === undefined ? {} : { basePath: flags.basePath }),
          ...(auth === undefined ? {} : { auth }),
        });
        process.stdout.write(
          `pgpulse dashboard on ${server.url}${flags.readOnly === true ? ' (read-only)' : ''}; Ctrl-C to stop\n`,
        );
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await server.close();
      }),
    );
}
