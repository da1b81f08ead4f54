import type pg from 'pg';

/** One recorded handler run (a row of `handled`). */
export interface Run {
  readonly pid: number;
  readonly attempt: number;
  readonly startedAt: Date;
}

/** What the `handled` table and the jobs table say about one queue's jobs after a trial. */
export interface RunTally {
  readonly jobs: number;
  readonly completed: number;
  readonly dead: number;
  /** Jobs not completed (dead ones included). */
  readonly lost: number;
  /** Jobs whose handler never recorded a run. */
  readonly neverRan: number;
  readonly runs: number;
  /** Jobs whose handler ran more than once. */
  readonly repeatedJobs: number;
  /** Runs beyond the first, over all jobs. */
  readonly extraRuns: number;
}

/** Counts lost jobs and repeated runs of `queueName`. */
export async function tallyRuns(sql: pg.Pool, queueName: string): Promise<RunTally> {
  const { rows } = await sql.query(
    `WITH per_job AS (
       SELECT j.id, j.state, (SELECT count(*) FROM handled h WHERE h.job_id = j.id)::int AS runs
       FROM pgpulse.all_jobs j WHERE j.queue = $1)
     SELECT count(*)::int AS jobs,
            count(*) FILTER (WHERE state = 'completed')::int AS completed,
            count(*) FILTER (WHERE state = 'dead')::int AS dead,
            count(*) FILTER (WHERE state <> 'completed')::int AS lost,
            count(*) FILTER (WHERE runs = 0)::int AS never_ran,
            coalesce(sum(runs), 0)::int AS runs,
            count(*) FILTER (WHERE runs > 1)::int AS repeated_jobs,
            coalesce(sum(runs - 1) FILTER (WHERE runs > 1), 0)::int AS extra_runs
     FROM per_job`,
    [queueName],
  );
  const row = rows[0];
  return {
    jobs: row.jobs,
    completed: row.completed,
    dead: row.dead,
    lost: row.lost,
    neverRan: row.never_ran,
    runs: row.runs,
    repeatedJobs: row.repeated_jobs,
    extraRuns: row.extra_runs,
  };
}

/** A job whose handler ran more than once, with its runs (oldest first) and its error history. */
export interface RepeatedJob {
  readonly id: string;
  readonly state: string;
  readonly attempts: number;
  readonly runs: Run[];
  /** `code` of each error record the job kept, oldest first. */
  readonly errorCodes: string[];
}

/** The jobs of `queueName` whose handler ran more than once. */
export async function repeatedJobs(sql: pg.Pool, queueName: string): Promise<RepeatedJob[]> {
  const { rows } = await sql.query(
    `SELECT j.id, j.state, j.attempts,
            (SELECT array_agg(e ->> 'code') FROM jsonb_array_elements(j.errors) e) AS error_codes,
            json_agg(json_build_object('pid', h.pid, 'attempt', h.attempt,
                                       'startedAt', h.started_at) ORDER BY h.started_at) AS runs
     FROM pgpulse.all_jobs j JOIN handled h ON h.job_id = j.id
     WHERE j.queue = $1
     GROUP BY j.id, j.state, j.attempts, j.errors HAVING count(*) > 1
     ORDER BY min(h.started_at)`,
    [queueName],
  );
  return rows.map((row) => ({
    id: row.id,
    state: row.state,
    attempts: row.attempts,
    errorCodes: row.error_codes ?? [],
    runs: row.runs.map((run: { pid: number; attempt: number; startedAt: string }) => ({
      pid: run.pid,
      attempt: run.attempt,
      startedAt: new Date(run.startedAt),
    })),
  }));
}
