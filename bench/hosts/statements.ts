import type pg from 'pg';

/** One statement's figures from `pg_stat_statements`. */
export interface StatementFigures {
  /** The statement's first line (`pg_stat_statements` keeps no leading comment). */
  readonly head: string;
  /** Which of pgpulse's statements it is, when the trial knows it. */
  readonly name: string | null;
  readonly calls: number;
  readonly rows: number;
  readonly meanMs: number;
}

/** The claim statement, and how many of its calls claimed nothing. */
export interface ClaimFigures {
  readonly calls: number;
  /** Rows returned: a claim returns one row per job, or a single row when it claims none. */
  readonly rows: number;
  /** Jobs claimed (the jobs' attempts, counted in the tables). */
  readonly jobs: number;
  /** Claims that returned no job: `rows - jobs`. */
  readonly empty: number;
  readonly emptyShare: number;
  /** Jobs per claim that claimed any. */
  readonly jobsPerFullClaim: number;
  readonly meanMs: number;
}

const STATEMENTS = `
SELECT split_part(query, E'\\n', 1) AS head, calls::float8 AS calls, rows::float8 AS rows,
       mean_exec_time AS mean_ms,
       -- Both claim statements (claim_jobs.sql, and claim_plain.sql for a plain queue).
       CASE WHEN query LIKE '%AS shaped%' THEN 'claim_jobs'
            WHEN query LIKE '%INSERT INTO "pgpulse".jobs_done%' THEN 'complete_jobs'
            WHEN query ~ 'INSERT INTO "pgpulse"\\.jobs\\s' THEN 'send'
            WHEN query LIKE '%heartbeat_at = now()%' THEN 'heartbeat_jobs'
       END AS name
FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND query NOT LIKE '%pg_stat_%'
ORDER BY calls DESC`;

/** Forgets this database's statement figures (a new part of the run begins). */
export async function resetStatements(sql: pg.Pool): Promise<void> {
  await sql.query(
    `SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database
                                         WHERE datname = current_database()), 0)`,
  );
}

/** Every statement run in this database since the reset, most called first. */
export async function readStatements(sql: pg.Pool): Promise<StatementFigures[]> {
  const { rows } = await sql.query<{
    head: string;
    name: string | null;
    calls: number;
    rows: number;
    mean_ms: number;
  }>(STATEMENTS);
  return rows.map((row) => ({
    head: row.head.slice(0, 100),
    name: row.name,
    calls: row.calls,
    rows: row.rows,
    meanMs: row.mean_ms,
  }));
}

/** Attempts made on the queue's jobs so far: each attempt began with one claim of the job. */
export async function attempts(sql: pg.Pool, queue: string): Promise<number> {
  const { rows } = await sql.query<{ n: string }>(
    'SELECT coalesce(sum(attempts), 0) AS n FROM pgpulse.all_jobs WHERE queue = $1',
    [queue],
  );
  return Number(rows[0]?.n ?? 0);
}

/** The claim statement's figures, given how many jobs were claimed since the reset. */
export function claimFigures(statements: StatementFigures[], jobs: number): ClaimFigures {
  const claims = statements.filter((s) => s.name === 'claim_jobs');
  const calls = claims.reduce((sum, s) => sum + s.calls, 0);
  const rows = claims.reduce((sum, s) => sum + s.rows, 0);
  const meanMs = claims.reduce((sum, s) => sum + s.meanMs * s.calls, 0) / calls;
  const empty = rows - jobs;
  return {
    calls,
    rows,
    jobs,
    empty,
    emptyShare: calls === 0 ? Number.NaN : empty / calls,
    jobsPerFullClaim: calls - empty === 0 ? Number.NaN : jobs / (calls - empty),
    meanMs: calls === 0 ? Number.NaN : meanMs,
  };
}
