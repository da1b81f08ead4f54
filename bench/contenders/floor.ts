import pg from 'pg';
import type { BenchJob, Contender, ContenderInstance, JobSink } from './contender.js';

/**
 * The floor: the simplest correct plain-SQL queue, to show where the naive design stops on the
 * same machine. A statement trigger NOTIFYs; each worker loop claims one job at a time with
 * SKIP LOCKED on its own connection, runs it, and deletes it. No batching of anything.
 */
const SETTINGS = { pollIntervalMs: 1000 } as const;

const SCHEMA = `
CREATE TABLE floor_jobs (
  id bigserial PRIMARY KEY,
  payload jsonb NOT NULL,
  run_at timestamptz NOT NULL DEFAULT now(),
  locked_at timestamptz
);
CREATE INDEX floor_jobs_ready ON floor_jobs (run_at, id) WHERE locked_at IS NULL;
CREATE FUNCTION floor_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_notify('floor_jobs', ''); RETURN NULL; END $$;
CREATE TRIGGER floor_jobs_notify AFTER INSERT ON floor_jobs
  FOR EACH STATEMENT EXECUTE FUNCTION floor_notify();`;

async function insertBulk(pool: pg.Pool, jobs: BenchJob[]): Promise<void> {
  await pool.query(
    'INSERT INTO floor_jobs (payload) SELECT * FROM jsonb_array_elements($1::jsonb)',
    [JSON.stringify(jobs)],
  );
}

const CLAIM = `
UPDATE floor_jobs SET locked_at = now()
WHERE id = (SELECT id FROM floor_jobs WHERE locked_at IS NULL AND run_at <= now()
            ORDER BY run_at, id FOR UPDATE SKIP LOCKED LIMIT 1)
RETURNING id, payload`;

export const floor: Contender = {
  name: 'floor (plain SQL)',
  id: 'floor',
  settings: 'trigger NOTIFY + LISTEN, one SKIP LOCKED claim and one DELETE per job per connection',
  async create(url: string): Promise<ContenderInstance> {
    const pool = new pg.Pool({ connectionString: url, max: 40 });
    await pool.query(SCHEMA);
    let stopped = true;
    let loops: Promise<void>[] = [];
    let listener: pg.Client | undefined;
    let wake: () => void = () => undefined;

    const loop = async (sink: JobSink) => {
      const client = await pool.connect();
      try {
        while (!stopped) {
          const { rows } = await client.query(CLAIM);
          const row = rows[0];
          if (row === undefined) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, SETTINGS.pollIntervalMs);
              const previous = wake;
              wake = () => {
                clearTimeout(timer);
                resolve();
                previous();
              };
            });
            continue;
          }
          sink(row.payload as BenchJob);
          await client.query('DELETE FROM floor_jobs WHERE id = $1', [row.id]);
        }
      } finally {
        client.release();
      }
    };

    return {
      async freshProducer() {
        const producer = new pg.Pool({ connectionString: url, max: 40 });
        return {
          enqueueBulk: (jobs) => insertBulk(producer, jobs),
          close: () => producer.end(),
        };
      },
      enqueueBulk: (jobs) => insertBulk(pool, jobs),
      async enqueue(job) {
        await pool.query('INSERT INTO floor_jobs (payload) VALUES ($1)', [job]);
      },
      async enqueueAt(job, runAt) {
        await pool.query('INSERT INTO floor_jobs (payload, run_at) VALUES ($1, $2)', [job, runAt]);
      },
      async startWorker(sink, { concurrency }) {
        stopped = false;
        listener = new pg.Client({ connectionString: url });
        await listener.connect();
        listener.on('notification', () => {
          const all = wake;
          wake = () => undefined;
          all();
        });
        await listener.query('LISTEN floor_jobs');
        loops = Array.from({ length: concurrency }, () => loop(sink));
      },
      async stopWorker() {
        stopped = true;
        const all = wake;
        wake = () => undefined;
        all();
        await Promise.all(loops);
        await listener?.end();
      },
      close: () => pool.end(),
    };
  },
};
