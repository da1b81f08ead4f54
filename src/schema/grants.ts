import { checkSchemaName } from '../config/schema-name.js';
import { renderSql } from '../db/render-sql.js';
import { ValidationError } from '../kernel/errors.js';
import { GRANT_SETS, type GrantSet } from '../kernel/types.js';
import { checkBoolean, checkKnownKeys, checkOptionsObject, show } from '../kernel/validate.js';
import { FUNCTIONS } from './functions.js';
import { checkRoleName, quoteIdentifier } from './role-name.js';

/**
 * What each privilege set of `grant()` needs, derived by running every operation under a role
 * holding only that set (test/integration/privileges.test.ts), with EXECUTE revoked from PUBLIC
 * so that no default hides a missing grant. The insert trigger and events_watched() run as the
 * schema's owner (migration 0011), so nothing they touch appears here.
 *
 * Column lists keep a set from changing what it has no business changing: a producer may touch
 * only the columns a duplicate idempotency key updates (`onDuplicate: 'replace'`), a consumer only
 * the token bucket of a rate-limited queue.
 */
type Table =
  | 'migrations'
  | 'queues'
  | 'jobs'
  | 'jobs_done'
  | 'all_jobs'
  | 'jobs_archive'
  | 'job_deps'
  | 'event_watchers'
  | 'schedules'
  | 'job_groups'
  | 'workers';
type TablePrivilege = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';

/** A privilege on a whole table, or on some of its columns. */
interface TableGrant {
  readonly privilege: TablePrivilege;
  readonly columns?: readonly string[];
}

type FunctionName = keyof typeof FUNCTIONS;

interface PrivilegeSet {
  readonly tables: Partial<Record<Table, readonly TableGrant[]>>;
  readonly functions: readonly FunctionName[];
}

const TABLE_ORDER: readonly Table[] = [
  'migrations',
  'queues',
  'jobs',
  'jobs_done',
  'all_jobs',
  'jobs_archive',
  'job_deps',
  'event_watchers',
  'schedules',
  'job_groups',
  'workers',
];
const PRIVILEGE_ORDER: readonly TablePrivilege[] = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];

const whole = (...privileges: TablePrivilege[]): TableGrant[] =>
  privileges.map((privilege) => ({ privilege }));

/**
 * Every set: the version check reads the ledger; getJob, listJobs and stats read jobs; schedules
 * are read by `schedules.get` and `list`, and by a consumer moving a claimed tick's schedule on.
 */
const COMMON: PrivilegeSet = {
  tables: {
    migrations: whole('SELECT'),
    jobs: whole('SELECT'),
    jobs_done: whole('SELECT'),
    all_jobs: whole('SELECT'),
    jobs_archive: whole('SELECT'),
    schedules: whole('SELECT'),
    // A flow's edges: flows.get() and a job's parents (migration 0016).
    job_deps: whole('SELECT'),
    // Group limits and the worker registry: claims, explain() and the admin views read them.
    job_groups: whole('SELECT'),
    workers: whole('SELECT'),
  },
  functions: ['group_limits', 'queue_grouped'],
};

const SETS: Readonly<Record<GrantSet, PrivilegeSet>> = {
  // send and sendBatch: the queue's stored defaults, the insert, and a duplicate key's update.
  produce: {
    tables: {
      queues: whole('SELECT'),
      jobs: [
        { privilege: 'INSERT' },
        { privilege: 'UPDATE', columns: ['payload', 'run_at', 'updated_at', 'idempotency_key'] },
      ],
    },
    // Sends announce their jobs and emit their `enqueued` events themselves (migration 0014).
    // A flow, or a job with dependsOn, goes in through insert_flow(), with its owner's rights.
    functions: [
      'announce',
      'emit_enqueued',
      'emit_events',
      'events_watched',
      'insert_flow',
      'reject_duplicate',
    ],
  },
  // Claim, heartbeat, settle, progress and log, cancel, sweep; register as an event watcher;
  // move a claimed tick's schedule on (schedule_advance() runs with its owner's rights).
  consume: {
    tables: {
      queues: [
        { privilege: 'SELECT' },
        { privilege: 'UPDATE', columns: ['rate_tokens', 'rate_updated_at'] },
      ],
      // A completion or a cancel moves the job's row from jobs to jobs_done.
      jobs: whole('UPDATE', 'DELETE'),
      jobs_done: whole('INSERT'),
      event_watchers: whole('SELECT', 'INSERT', 'UPDATE', 'DELETE'),
      // A consumer registers itself, refreshes its row and removes it (and expired ones).
      workers: whole('INSERT', 'UPDATE', 'DELETE'),
    },
    // group_candidates() runs as the owner: it locks the queue and spends group tokens.
    functions: [
      'after_failure',
      'announce',
      'announce_cancel',
      'announce_freed',
      'append_error',
      'cancel_flow',
      'claim_budget',
      'emit_events',
      'ensure_done_partitions',
      'events_watched',
      'fair_candidates',
      'group_candidates',
      'job_state',
      'schedule_advance',
      // A settled job's children move on (migration 0016), with the owner's rights.
      'settle_dependents',
      // A completing worker starts a child its job released (migration 0020).
      'take_released',
    ],
  },
  // Queue settings, pause, purge, delete, redrive, retention, cancel, sweep; watch events;
  // schedules: set, pause, resume, trigger, remove (their jobs are inserted by
  // schedule_enqueue(), which runs with its owner's rights).
  admin: {
    tables: {
      queues: whole('SELECT', 'INSERT', 'UPDATE', 'DELETE'),
      jobs: whole('UPDATE', 'DELETE'),
      jobs_done: whole('INSERT', 'UPDATE', 'DELETE'),
      jobs_archive: whole('INSERT', 'DELETE'),
      // Retention prunes a finished flow's dependencies with its jobs.
      job_deps: whole('DELETE'),
      event_watchers: whole('SELECT', 'INSERT', 'UPDATE', 'DELETE'),
      schedules: whole('SELECT', 'INSERT', 'UPDATE', 'DELETE'),
      // Group overrides (their buckets are the claims' business, through group_candidates()).
      job_groups: whole('INSERT', 'UPDATE'),
    },
    functions: [
      'after_failure',
      'announce',
      'announce_cancel',
      'announce_control',
      'announce_freed',
      'append_error',
      'cancel_flow',
      'drop_done_partitions',
      'emit_events',
      'ensure_done_partitions',
      'events_watched',
      'job_state',
      'resume_dependents',
      'schedule_changed',
      'schedule_enqueue',
      'settle_dependents',
    ],
  },
};

/** Options of {@link grantStatements} and `grant()`: which sets, on which schema. */
export interface GrantOptions {
  /** Send jobs (`send`, `sendBatch`, any `onDuplicate`), and read them. */
  produce?: boolean;
  /** Consume jobs (`work`, `observe`, `workBatch`, claim and settle by hand), `events()`, `cancel`, the sweeper, and read them. */
  consume?: boolean;
  /** Queue settings, pause and resume, purge, delete, redrive, retention, `cancel`, `events()`, the sweeper, schedules (set, pause, resume, trigger, remove), and read jobs. */
  admin?: boolean;
  /** The schema. Default `'pgpulse'`. */
  schema?: string;
}

/** {@link GrantOptions} checked: the schema and the chosen sets, in a fixed order. */
export interface ResolvedGrant {
  readonly role: string;
  readonly schema: string;
  readonly sets: readonly GrantSet[];
}

/** Checks a role and the options of {@link grantStatements}. */
export function resolveGrant(role: unknown, options: unknown): ResolvedGrant {
  const checkedRole = checkRoleName(role);
  const opts = checkOptionsObject('options', options) as GrantOptions;
  checkKnownKeys('options', opts as Record<string, unknown>, [...GRANT_SETS, 'schema']);
  const sets = GRANT_SETS.filter((set) => checkBoolean(set, opts[set] ?? false));
  if (sets.length === 0) {
    throw new ValidationError(
      'options',
      `Expected at least one of \`produce\`, \`consume\` and \`admin\` to be true, got ${show(opts)}`,
    );
  }
  return { role: checkedRole, schema: checkSchemaName(opts.schema ?? 'pgpulse'), sets };
}

/**
 * The GRANT statements that let `role` produce, consume and/or administer pgpulse's queues in a
 * schema, and nothing more: run them as the schema's owner (the role that ran `migrate()`).
 * The role name is written only as a quoted identifier, so any name is safe.
 *
 * @throws ValidationError for a bad role name, no set chosen, or a bad option.
 * @throws ConfigurationError for a bad schema name.
 * @example
 * ```ts
 * console.log(grantStatements('app', { produce: true, consume: true }).join(';\n'));
 * ```
 */
export function grantStatements(role: string, options: GrantOptions): string[] {
  return statementsFor(resolveGrant(role, options));
}

/** The statements of a resolved grant (see {@link grantStatements}). */
export function statementsFor({ role, schema, sets }: ResolvedGrant): string[] {
  const chosen = [COMMON, ...sets.map((set) => SETS[set])];
  const to = quoteIdentifier(role);
  const statements = [renderSql(`GRANT USAGE ON SCHEMA {{schema}} TO ${to}`, schema)];
  for (const table of TABLE_ORDER) {
    const privileges = mergeTable(chosen.flatMap((set) => set.tables[table] ?? []));
    if (privileges.length === 0) continue;
    statements.push(
      renderSql(`GRANT ${privileges.join(', ')} ON TABLE {{schema}}.${table} TO ${to}`, schema),
    );
  }
  const functions = new Set(chosen.flatMap((set) => set.functions));
  for (const name of (Object.keys(FUNCTIONS) as FunctionName[]).filter((f) => functions.has(f))) {
    statements.push(
      renderSql(`GRANT EXECUTE ON FUNCTION {{schema}}.${FUNCTIONS[name]} TO ${to}`, schema),
    );
  }
  return statements;
}

/** One table's grants of several sets as GRANT's list: a whole-table grant wins over columns. */
function mergeTable(grants: readonly TableGrant[]): string[] {
  const out: string[] = [];
  for (const privilege of PRIVILEGE_ORDER) {
    const mine = grants.filter((grant) => grant.privilege === privilege);
    if (mine.length === 0) continue;
    if (mine.some((grant) => grant.columns === undefined)) {
      out.push(privilege);
      continue;
    }
    const columns = [...new Set(mine.flatMap((grant) => grant.columns ?? []))];
    out.push(`${privilege} (${columns.join(', ')})`);
  }
  return out;
}
