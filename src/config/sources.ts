import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { ConfigurationError } from '../kernel/errors.js';
import { checkBoolean, checkInteger, checkKnownKeys, invalid } from '../kernel/validate.js';
import { type QueueOptions, resolveQueueOptions } from './options.js';

/** Where {@link loadQueueOptions} looks besides the options in code. */
export interface ConfigSources {
  /**
   * A YAML config file. Default: the file named by `PGPULSE_CONFIG`, else `pgpulse.yaml` in the
   * working directory if there is one. `false`: no file.
   */
  file?: string | false;
  /** The environment to read. Default `process.env`. */
  env?: Record<string, string | undefined>;
}

type Kind = 'string' | 'integer' | 'boolean' | 'json';

/** Every option a config source may set: its YAML key, environment variable and type. */
const SETTINGS: readonly { option: keyof QueueOptions; yaml: string; env: string; kind: Kind }[] = [
  { option: 'connectionString', yaml: 'databaseUrl', env: 'PGPULSE_DATABASE_URL', kind: 'string' },
  { option: 'schema', yaml: 'schema', env: 'PGPULSE_SCHEMA', kind: 'string' },
  { option: 'poolSize', yaml: 'poolSize', env: 'PGPULSE_POOL_SIZE', kind: 'integer' },
  {
    option: 'connectTimeoutMs',
    yaml: 'connectTimeoutMs',
    env: 'PGPULSE_CONNECT_TIMEOUT_MS',
    kind: 'integer',
  },
  { option: 'leaseMs', yaml: 'leaseMs', env: 'PGPULSE_LEASE_MS', kind: 'integer' },
  { option: 'maxAttempts', yaml: 'maxAttempts', env: 'PGPULSE_MAX_ATTEMPTS', kind: 'integer' },
  { option: 'backoff', yaml: 'backoff', env: 'PGPULSE_BACKOFF', kind: 'json' },
  {
    option: 'maxPayloadBytes',
    yaml: 'maxPayloadBytes',
    env: 'PGPULSE_MAX_PAYLOAD_BYTES',
    kind: 'integer',
  },
  { option: 'errorHistory', yaml: 'errorHistory', env: 'PGPULSE_ERROR_HISTORY', kind: 'integer' },
  { option: 'workerId', yaml: 'workerId', env: 'PGPULSE_WORKER_ID', kind: 'string' },
  { option: 'listen', yaml: 'listen', env: 'PGPULSE_LISTEN', kind: 'boolean' },
  {
    option: 'listenConnectionString',
    yaml: 'listenDatabaseUrl',
    env: 'PGPULSE_LISTEN_DATABASE_URL',
    kind: 'string',
  },
  { option: 'pooler', yaml: 'pooler', env: 'PGPULSE_POOLER', kind: 'string' },
];

/** The default config file, looked for in the working directory. */
export const DEFAULT_CONFIG_FILE = 'pgpulse.yaml';

/**
 * Merges queue options from code, the environment and a YAML file, in that precedence: an option
 * given in code wins over the environment, which wins over the file; what none gives takes its
 * default. Environment: `DATABASE_URL` (or `PGPULSE_DATABASE_URL`, which wins), `PGPULSE_SCHEMA`,
 * `PGPULSE_POOL_SIZE`, `PGPULSE_LEASE_MS`, `PGPULSE_MAX_ATTEMPTS`, `PGPULSE_BACKOFF` (JSON),
 * `PGPULSE_MAX_PAYLOAD_BYTES`, `PGPULSE_ERROR_HISTORY`, `PGPULSE_WORKER_ID`, `PGPULSE_LISTEN`
 * (true/false), `PGPULSE_LISTEN_DATABASE_URL`, `PGPULSE_POOLER` (none, session or transaction),
 * `PGPULSE_CONFIG` (the file). The file uses the option names, with `databaseUrl` and
 * `listenDatabaseUrl` for the connection strings.
 *
 * @throws ConfigurationError naming the variable or the file and key of a bad value.
 * @example
 * ```yaml
 * # pgpulse.yaml
 * databaseUrl: postgres://app@db/app
 * schema: jobs
 * leaseMs: 60000
 * backoff: { type: exponential, baseMs: 500 }
 * ```
 */
export function loadQueueOptions(
  code: QueueOptions = {},
  sources: ConfigSources = {},
): QueueOptions {
  const env = sources.env ?? process.env;
  const file = sources.file ?? env.PGPULSE_CONFIG;
  const fromFile = readConfigFile(file, sources.file === undefined);
  const fromEnv = readEnv(env);
  const fromCode = withoutUndefined(code);
  const merged: QueueOptions = { ...fromFile, ...fromEnv, ...fromCode };
  // A pool given in code replaces any connection string from elsewhere.
  if (code.pool !== undefined && code.connectionString === undefined) {
    delete merged.connectionString;
  }
  if (merged.connectionString === undefined && merged.pool === undefined) {
    throw new ConfigurationError(
      'No database to connect to: set DATABASE_URL, give `connectionString` or `pool`, or `databaseUrl` in the config file',
      { field: 'connectionString' },
    );
  }
  try {
    resolveQueueOptions(merged);
  } catch (error) {
    // Say where a bad value came from, unless it came from code.
    const option = (error as ConfigurationError).field?.split('.')[0] as keyof QueueOptions;
    if (!(error instanceof ConfigurationError) || option === undefined || option in fromCode) {
      throw error;
    }
    const setting = SETTINGS.find((s) => s.option === option);
    const source =
      option in fromEnv
        ? option === 'connectionString' && env.PGPULSE_DATABASE_URL === undefined
          ? 'DATABASE_URL'
          : setting?.env
        : `${setting?.yaml} in ${resolve(String(file ?? DEFAULT_CONFIG_FILE))}`;
    throw new ConfigurationError(`${error.message} (set by ${source})`, {
      cause: error,
      field: error.field,
    });
  }
  return merged;
}

function withoutUndefined(options: QueueOptions): QueueOptions {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as QueueOptions;
}

function readEnv(env: Record<string, string | undefined>): QueueOptions {
  const options: Record<string, unknown> = {};
  const databaseUrl = env.DATABASE_URL;
  if (databaseUrl !== undefined && databaseUrl !== '') options.connectionString = databaseUrl;
  for (const setting of SETTINGS) {
    const raw = env[setting.env];
    if (raw === undefined || raw === '') continue;
    options[setting.option] = fromText(setting.env, raw, setting.kind);
  }
  return options as QueueOptions;
}

function fromText(field: string, raw: string, kind: Kind): unknown {
  const kindOf = 'configuration';
  switch (kind) {
    case 'string':
      return raw;
    case 'integer':
      if (!/^-?\d+$/.test(raw.trim())) throw invalid(field, 'an integer', raw, kindOf);
      return checkInteger(
        field,
        Number(raw),
        Number.MIN_SAFE_INTEGER,
        Number.MAX_SAFE_INTEGER,
        kindOf,
      );
    case 'boolean': {
      const text = raw.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(text)) return true;
      if (['false', '0', 'no', 'off'].includes(text)) return false;
      throw invalid(field, 'true or false', raw, kindOf);
    }
    case 'json':
      try {
        return JSON.parse(raw);
      } catch {
        throw invalid(field, 'JSON', raw, kindOf);
      }
  }
}

/** Reads the YAML file; a missing default file is no error, a missing named one is. */
function readConfigFile(file: string | false | undefined, defaultLookup: boolean): QueueOptions {
  if (file === false) return {};
  const path = resolve(file ?? DEFAULT_CONFIG_FILE);
  if (file === undefined && (!defaultLookup || !existsSync(path))) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigurationError(`Cannot read the config file ${path}`, { cause: error });
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new ConfigurationError(
      `The config file ${path} is not valid YAML: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (document === null || document === undefined) return {};
  if (typeof document !== 'object' || Array.isArray(document)) {
    throw new ConfigurationError(`The config file ${path} must hold a mapping of options`);
  }
  const values = document as Record<string, unknown>;
  const where = (key: string) => `${key}\` in \`${path}`;
  checkKnownKeys(
    `options\` in \`${path}`,
    values,
    SETTINGS.map((setting) => setting.yaml),
    'configuration',
  );
  const options: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    const value = values[setting.yaml];
    if (value === undefined || value === null) continue;
    if (setting.kind === 'string' && typeof value !== 'string') {
      throw invalid(where(setting.yaml), 'a string', value, 'configuration');
    }
    if (setting.kind === 'integer')
      checkInteger(where(setting.yaml), value, 0, Number.MAX_SAFE_INTEGER, 'configuration');
    if (setting.kind === 'boolean') checkBoolean(where(setting.yaml), value, 'configuration');
    options[setting.option] = value;
  }
  return options as QueueOptions;
}
