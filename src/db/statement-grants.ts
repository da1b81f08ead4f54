import type { GrantSet } from '../kernel/types.js';
import type { QueryName } from './queries.js';

/**
 * Which sets allow each statement, for the message of a {@link PermissionError}. Empty: only the
 * schema's owner runs it (migrations).
 */
export const STATEMENT_GRANTS: Readonly<Record<QueryName, readonly GrantSet[]>> = (() => {
  const all: GrantSet[] = ['produce', 'consume', 'admin'];
  const consume: GrantSet[] = ['consume'];
  const admin: GrantSet[] = ['admin'];
  const either: GrantSet[] = ['consume', 'admin'];
  const owner: GrantSet[] = [];
  return {
    advance_clock: admin,
    cancel_flow: either,
    cancel_job: either,
    claim_jobs: consume,
    complete_jobs: consume,
    current_role: all,
    drop_done_partitions: admin,
    ensure_partitions: either,
    fail_jobs: consume,
    get_flow: all,
    get_job: all,
    explain_job: all,
    group_get: all,
    group_remove: admin,
    group_save: admin,
    heartbeat_jobs: consume,
    job_log: consume,
    job_progress: consume,
    list_jobs: all,
    migrate_create_ledger: owner,
    migrate_create_schema: owner,
    migrate_drop_schema: owner,
    migrate_lock: owner,
    migrate_record: owner,
    migrate_record_compatibility: owner,
    migrate_required_version: all,
    migrate_schema_exists: owner,
    migrate_version: all,
    next_run_at: consume,
    notify: all,
    parent_counts: all,
    parent_results: all,
    prune_jobs: admin,
    queue_delete: admin,
    queue_pause: admin,
    queue_purge: admin,
    queue_save: admin,
    queue_settings: all,
    queue_stats: all,
    reclaim_expired: either,
    redrive_jobs: admin,
    release_jobs: consume,
    schedule_advance: consume,
    schedule_arm: admin,
    schedule_changed: admin,
    schedule_delete: admin,
    schedule_disarm: admin,
    schedule_get: all,
    schedule_list: all,
    schedule_lock: admin,
    schedule_stalled: all,
    schedule_trigger: admin,
    schedule_upsert: admin,
    send_job: ['produce'],
    send_flow: ['produce'],
    send_jobs: ['produce'],
    unwatch_events: either,
    watch_events: either,
    worker_beat: consume,
    worker_leave: consume,
    worker_list: all,
  };
})();
