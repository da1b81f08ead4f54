-- Creates a schedule, or replaces the definition of an existing one (raising its version),
-- leaving it paused or not as it was. Guarded: an existing schedule is replaced only while its
-- version and next_tick_at are still those the caller read ($15, $16), since a claim may have
-- moved it on meanwhile; no row comes back otherwise, and the caller reads it again. The tick
-- fields are set by schedule_arm.sql afterwards.
-- $1 name: text
-- $2 queue: text
-- $3 job_name: text
-- $4 payload: jsonb (JSON text)
-- $5 job_options: jsonb (JSON text), {priority, maxAttempts, backoff, tenant}
-- $6 cron: text, or NULL
-- $7 every_ms: bigint, or NULL
-- $8 timezone: text
-- $9 overlap: text
-- $10 misfire: text
-- $11 misfire_cap: integer
-- $12 starts_at: timestamptz, or NULL
-- $13 ends_at: timestamptz, or NULL
-- $14 max_runs: bigint, or NULL
-- $15 read_version: integer, or NULL when the caller found no schedule
-- $16 read_next_tick_at: timestamptz, or NULL
INSERT INTO {{schema}}.schedules AS s
  (name, queue, job_name, payload, job_options, cron, every_ms, timezone, overlap, misfire,
   misfire_cap, starts_at, ends_at, max_runs)
VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13, $14)
ON CONFLICT (name) DO UPDATE SET
  queue = excluded.queue, job_name = excluded.job_name, payload = excluded.payload,
  job_options = excluded.job_options, cron = excluded.cron, every_ms = excluded.every_ms,
  timezone = excluded.timezone, overlap = excluded.overlap, misfire = excluded.misfire,
  misfire_cap = excluded.misfire_cap, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
  max_runs = excluded.max_runs, version = s.version + 1, updated_at = now()
WHERE s.version = $15 AND s.next_tick_at IS NOT DISTINCT FROM $16::timestamptz
RETURNING s.name, s.version, s.paused
