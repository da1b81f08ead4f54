import type pg from 'pg';

/** Cumulative work counters of one table, from `pg_stat_user_tables`. */
export interface TableCounters {
  readonly relid: number;
  readonly name: string;
  readonly live: number;
  readonly dead: number;
  readonly autovacuums: number;
  readonly autoanalyzes: number;
  /** `total_autovacuum_time` in ms (PostgreSQL 18 and later); null before. */
  readonly autovacuumMs: number | null;
}

/** What the server says at one moment of a sustained run. */
export interface ServerSample {
  /** `pg_current_wal_lsn()` in bytes. */
  readonly walBytes: number;
  /** `pg_stat_wal`: records and full-page images written so far. */
  readonly walRecords: number;
  readonly walFpi: number;
  /** Checkpoints so far, timed and requested (`pg_stat_checkpointer`). */
  readonly checkpoints: number;
  readonly jobs: {
    readonly totalBytes: number;
    readonly indexBytes: number;
    readonly pending: number;
    readonly running: number;
    readonly counters: TableCounters | null;
  };
  readonly done: {
    /** Over every partition, the DEFAULT one included (`pg_inherits`). */
    readonly totalBytes: number;
    readonly indexBytes: number;
    /** Ranged partitions (the DEFAULT one not counted). */
    readonly partitions: number;
    /** Rows the DEFAULT partition holds (finished while no partition covered their time). */
    readonly defaultRows: number;
    readonly counters: TableCounters[];
  };
  /** The claim statement so far (`pg_stat_statements`, this database). */
  readonly claim: { readonly calls: number; readonly totalMs: number; readonly rows: number };
}

/** One query, cheap enough to run every few seconds during the run. */
const SAMPLE = `
WITH parts AS (
  SELECT inhrelid AS relid FROM pg_inherits WHERE inhparent = 'pgpulse.jobs_done'::regclass
)
SELECT (pg_current_wal_lsn() - '0/0')::float8 AS wal_bytes,
       (SELECT to_jsonb(w) FROM pg_stat_wal AS w) AS wal,
       (SELECT to_jsonb(c) FROM pg_stat_checkpointer AS c) AS checkpointer,
       pg_total_relation_size('pgpulse.jobs') AS jobs_total,
       pg_indexes_size('pgpulse.jobs') AS jobs_indexes,
       (SELECT count(*) FILTER (WHERE state = 'pending') FROM pgpulse.jobs) AS pending,
       (SELECT count(*) FILTER (WHERE state = 'running') FROM pgpulse.jobs) AS running,
       (SELECT coalesce(sum(pg_total_relation_size(relid)), 0) FROM parts) AS done_total,
       (SELECT coalesce(sum(pg_indexes_size(relid)), 0) FROM parts) AS done_indexes,
       (SELECT count(*) FROM pgpulse.done_partitions()) AS partitions,
       (SELECT jsonb_agg(to_jsonb(s)) FROM pg_stat_user_tables AS s
        WHERE s.relid = 'pgpulse.jobs'::regclass OR s.relid IN (SELECT relid FROM parts)) AS tables,
       (SELECT jsonb_build_object('calls', coalesce(sum(calls), 0),
                                  'totalMs', coalesce(sum(total_exec_time), 0),
                                  'rows', coalesce(sum(rows), 0))
        FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND query LIKE '%claim_budget(%' AND query NOT LIKE '%pg_stat_statements%') AS claim`;

type Row = Record<string, unknown>;

const num = (value: unknown) => Number(value ?? 0);

function counters(row: Row): TableCounters {
  return {
    relid: num(row.relid),
    name: String(row.relname),
    live: num(row.n_live_tup),
    dead: num(row.n_dead_tup),
    autovacuums: num(row.autovacuum_count),
    autoanalyzes: num(row.autoanalyze_count),
    autovacuumMs: row.total_autovacuum_time === undefined ? null : num(row.total_autovacuum_time),
  };
}

/** Reads a {@link ServerSample} through `client` (connected to the run's database). */
export async function sampleServer(client: pg.Pool): Promise<ServerSample> {
  const { rows } = await client.query(SAMPLE);
  const r = rows[0] as Row;
  const wal = (r.wal ?? {}) as Row;
  const checkpointer = (r.checkpointer ?? {}) as Row;
  const tables = ((r.tables ?? []) as Row[]).map(counters);
  const jobsCounters = tables.find((t) => t.name === 'jobs') ?? null;
  const doneCounters = tables.filter((t) => t.name !== 'jobs');
  const claim = r.claim as Row;
  return {
    walBytes: num(r.wal_bytes),
    walRecords: num(wal.wal_records),
    walFpi: num(wal.wal_fpi),
    checkpoints: num(checkpointer.num_timed) + num(checkpointer.num_requested),
    jobs: {
      totalBytes: num(r.jobs_total),
      indexBytes: num(r.jobs_indexes),
      pending: num(r.pending),
      running: num(r.running),
      counters: jobsCounters,
    },
    done: {
      totalBytes: num(r.done_total),
      indexBytes: num(r.done_indexes),
      partitions: num(r.partitions),
      defaultRows: doneCounters.find((t) => t.name === 'jobs_done_default')?.live ?? 0,
      counters: doneCounters,
    },
    claim: { calls: num(claim.calls), totalMs: num(claim.totalMs), rows: num(claim.rows) },
  };
}
