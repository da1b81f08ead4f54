import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderSql } from './schema.js';

/** The `sql/` folder of the package; this file sits two levels below the package root. */
export const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));

/**
 * Every runtime statement, one per file in `sql/queries/<name>.sql` (parts shared by several are
 * in `sql/queries/partials/`).
 */
export const QUERY_NAMES = [
  'cancel_job',
  'claim_jobs',
  'complete_jobs',
  'current_role',
  'fail_jobs',
  'get_job',
  'heartbeat_jobs',
  'job_log',
  'job_progress',
  'list_jobs',
  'migrate_create_ledger',
  'migrate_create_schema',
  'migrate_drop_schema',
  'migrate_lock',
  'migrate_record',
  'migrate_record_compatibility',
  'migrate_required_version',
  'migrate_schema_exists',
  'migrate_version',
  'next_run_at',
  'notify',
  'prune_jobs',
  'queue_delete',
  'queue_pause',
  'queue_purge',
  'queue_save',
  'queue_settings',
  'queue_stats',
  'reclaim_expired',
  'redrive_jobs',
  'release_jobs',
  'send_job',
  'send_jobs',
  'unwatch_events',
  'watch_events',
] as const;

/** The name of a runtime statement. */
export type QueryName = (typeof QUERY_NAMES)[number];

/**
 * A statement ready for `pg`. With a name, `pg` prepares it once per connection and afterwards
 * sends only its name; without one it is sent whole, as the unnamed statement, every time.
 */
export interface PreparedQuery {
  readonly name: string | undefined;
  readonly text: string;
}

/** Every runtime statement, rendered for one schema. */
export type QueryRegistry = Readonly<Record<QueryName, PreparedQuery>>;

let templates: ReadonlyMap<QueryName, string> | undefined;

/** `{{> name}}`: the text of `sql/queries/partials/<name>.sql`, shared by several statements. */
const PARTIAL = /\{\{> ([a-z_]+)\}\}/g;

/** The template with its partials (and theirs) written in. */
function withPartials(template: string, depth = 0): string {
  if (depth > 4) throw new Error('SQL partials include each other too deeply (a cycle?)');
  return template.replace(PARTIAL, (_, name: string) =>
    withPartials(
      readFileSync(join(SQL_DIR, 'queries', 'partials', `${name}.sql`), 'utf8').trimEnd(),
      depth + 1,
    ),
  );
}

/** Reads the SQL files once per process. */
function loadTemplates(): ReadonlyMap<QueryName, string> {
  templates ??= new Map(
    QUERY_NAMES.map((name) => [
      name,
      withPartials(readFileSync(join(SQL_DIR, 'queries', `${name}.sql`), 'utf8')),
    ]),
  );
  return templates;
}

const registries = new Map<string, QueryRegistry>();

/** Options of {@link queriesFor}. */
export interface RegistryOptions {
  /**
   * Whether statements are named, and so prepared once per connection. Default true. Unnamed,
   * each call carries its text (parsed and planned again): what a pooler that hands out a server
   * connection per transaction needs, since a statement prepared on one server connection does
   * not exist on the next.
   */
  readonly named?: boolean;
}

/**
 * The statements of one schema. Each is named after a hash of its rendered text, so two schemas
 * or two versions never collide in one connection's prepared-statement cache.
 */
export function queriesFor(schema: string, options: RegistryOptions = {}): QueryRegistry {
  const named = options.named ?? true;
  const key = named ? schema : `${schema} unnamed`;
  let registry = registries.get(key);
  if (registry === undefined) {
    const entries = [...loadTemplates()].map(([name, template]) => {
      const text = renderSql(template, schema);
      const hash = createHash('sha1').update(text).digest('hex').slice(0, 16);
      return [name, Object.freeze({ name: named ? `pgpulse_${hash}` : undefined, text })] as const;
    });
    registry = Object.freeze(Object.fromEntries(entries) as Record<QueryName, PreparedQuery>);
    registries.set(key, registry);
  }
  return registry;
}
