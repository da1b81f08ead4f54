import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderSql } from './render-sql.js';

/** The `sql/` folder of the package; this file sits two levels below the package root. */
export const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));

/**
 * Every statement, one per file in `sql/queries/<stage>/<name>.sql`, by the pipeline stage that
 * runs it (`schema` holds the migrator's own statements). Names are unique across stages.
 */
export const QUERIES = {
  send_job: 'produce',
  send_jobs: 'produce',
  send_flow: 'produce',
  notify: 'notify',
  claim_jobs: 'claim',
  claim_plain: 'claim',
  next_run_at: 'claim',
  heartbeat_jobs: 'lease',
  job_log: 'execute',
  job_progress: 'execute',
  parent_counts: 'execute',
  parent_results: 'execute',
  complete_jobs: 'settle',
  fail_jobs: 'settle',
  release_jobs: 'settle',
  drop_done_partitions: 'maintain',
  ensure_partitions: 'maintain',
  prune_jobs: 'maintain',
  reclaim_expired: 'maintain',
  cancel_flow: 'admin',
  cancel_job: 'admin',
  get_flow: 'admin',
  get_job: 'admin',
  list_jobs: 'admin',
  queue_delete: 'admin',
  queue_pause: 'admin',
  queue_purge: 'admin',
  queue_save: 'admin',
  queue_settings: 'admin',
  queue_stats: 'admin',
  redrive_jobs: 'admin',
  schedule_advance: 'schedule',
  schedule_arm: 'schedule',
  schedule_changed: 'schedule',
  schedule_delete: 'schedule',
  schedule_disarm: 'schedule',
  schedule_get: 'schedule',
  schedule_list: 'schedule',
  schedule_lock: 'schedule',
  schedule_stalled: 'schedule',
  schedule_trigger: 'schedule',
  schedule_upsert: 'schedule',
  group_save: 'admin',
  group_remove: 'admin',
  group_get: 'admin',
  explain_job: 'admin',
  worker_list: 'admin',
  worker_beat: 'consume',
  worker_leave: 'consume',
  dashboard_counts: 'dashboard',
  dashboard_dead_all: 'dashboard',
  dashboard_delete_job: 'dashboard',
  dashboard_flows: 'dashboard',
  dashboard_jobs_cancelled: 'dashboard',
  dashboard_jobs_completed: 'dashboard',
  dashboard_jobs_dead: 'dashboard',
  dashboard_jobs_pending: 'dashboard',
  dashboard_jobs_running: 'dashboard',
  dashboard_jobs_scheduled: 'dashboard',
  dashboard_jobs_waiting: 'dashboard',
  dashboard_latency: 'dashboard',
  dashboard_queues: 'dashboard',
  dashboard_search_key: 'dashboard',
  dashboard_search_payload: 'dashboard',
  unwatch_events: 'observe',
  watch_events: 'observe',
  current_role: 'schema',
  migrate_create_ledger: 'schema',
  migrate_create_schema: 'schema',
  migrate_drop_schema: 'schema',
  migrate_lock: 'schema',
  migrate_record: 'schema',
  migrate_record_compatibility: 'schema',
  migrate_required_version: 'schema',
  migrate_schema_exists: 'schema',
  migrate_version: 'schema',
  advance_clock: 'testing',
} as const;

/** Every statement's name. */
export const QUERY_NAMES = Object.keys(QUERIES) as QueryName[];

/** Where a statement's file is, from `sql/queries/`. */
export function queryPath(name: QueryName): string {
  return join(QUERIES[name], `${name}.sql`);
}

/** The name of a statement. */
export type QueryName = keyof typeof QUERIES;

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

/** Reads the SQL files once per process. */
function loadTemplates(): ReadonlyMap<QueryName, string> {
  templates ??= new Map(
    QUERY_NAMES.map((name) => [
      name,
      readFileSync(join(SQL_DIR, 'queries', queryPath(name)), 'utf8'),
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
