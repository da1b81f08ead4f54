/**
 * Part 1 of the fault trial: duplicate executions caused by server restarts of a few seconds
 * while four worker processes consume (issue 11).
 */
import type pg from 'pg';
import type { LocalServer } from '../../src/dev/local-server.js';
import { sleep } from '../harness.js';
import { countStates, waitUntilSettled, withTrialDatabase } from './database.js';
import { type RepeatedJob, type RunTally, repeatedJobs, tallyRuns } from './runs.js';
import { pauseFor, startSender } from './sender.js';
import { describeExit, startWorker, type WorkerProcess } from './worker-processes.js';

const QUEUE = 'restarts';

/** What part 1 runs. */
export interface RestartSettings {
  readonly jobs: number;
  readonly workers: number;
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly jobMs: number;
  /** How long the server stays down at each restart. */
  readonly downMs: number;
  /** How long sending takes without stalls (the jobs arrive while the workers run). */
  readonly sendSpreadMs: number;
}

/** One restart, with `Date.now()` times. */
export interface Restart {
  readonly mode: 'fast' | 'immediate';
  /** Jobs running when the stop began. */
  readonly runningBefore: number;
  readonly stopAt: number;
  readonly stoppedAt: number;
  readonly startAt: number;
  readonly startedAt: number;
}

/** A job run more than once, placed against the restarts. */
export interface DescribedRepeat extends RepeatedJob {
  /** The restart its first run came before and a later run after, if any. */
  readonly straddles: Restart['mode'] | null;
  /** Each run's start in ms after the straddled restart's stop began. */
  readonly offsetsMs: number[] | null;
}

export interface RestartResult {
  readonly settings: RestartSettings;
  readonly restarts: Restart[];
  readonly settled: boolean;
  readonly counts: Record<string, number>;
  readonly tally: RunTally;
  readonly repeated: DescribedRepeat[];
  /** Worker processes that ended before the trial stopped them. */
  readonly workerExits: { pid: number; how: string }[];
  /** Handler runs whose record could not be written (not counted as runs). */
  readonly unrecordedRuns: number;
  readonly durationMs: number;
}

/** Runs part 1 on `server`, whose superuser URL is `adminUrl`. Worker output goes to `log`. */
export function restartTrial(
  server: LocalServer,
  adminUrl: string,
  settings: RestartSettings,
  log: (line: string) => void,
): Promise<RestartResult> {
  return withTrialDatabase(adminUrl, log, async (db) => {
    const env = {
      FAULTS_DATABASE_URL: db.url,
      FAULTS_QUEUE: QUEUE,
      FAULTS_CONCURRENCY: String(settings.concurrency),
      FAULTS_LEASE_MS: String(settings.leaseMs),
      FAULTS_JOB_MS: String(settings.jobMs),
    };
    const workers: WorkerProcess[] = [];
    try {
      for (let i = 0; i < settings.workers; i++) workers.push(await startWorker(env, log));
      const began = Date.now();
      const batchSize = 100;
      const sender = startSender(db.queue, QUEUE, {
        total: settings.jobs,
        batchSize,
        pauseMs: pauseFor(settings.jobs, batchSize, settings.sendSpreadMs),
        keyed: true,
      });
      const restarts: Restart[] = [];
      await sender.reached(Math.round(settings.jobs * 0.25));
      restarts.push(await restart(server, db.sql, 'fast', settings.downMs, log));
      // Let the workers recover and run for a while before the second restart.
      await sleep(3000);
      await sender.reached(Math.round(settings.jobs * 0.6));
      restarts.push(await restart(server, db.sql, 'immediate', settings.downMs, log));
      await sender.done;
      const { counts, settled } = await waitUntilSettled(db.sql, QUEUE, settings.jobs, 300_000);
      const durationMs = Date.now() - began;
      const repeated = (await repeatedJobs(db.sql, QUEUE)).map((job) =>
        placeAgainst(restarts, job),
      );
      return {
        settings,
        restarts,
        settled,
        counts,
        tally: await tallyRuns(db.sql, QUEUE),
        repeated,
        workerExits: workers.flatMap((worker) =>
          worker.exit === undefined ? [] : [{ pid: worker.pid, how: describeExit(worker.exit) }],
        ),
        unrecordedRuns: workers.reduce((sum, worker) => sum + worker.unrecorded.length, 0),
        durationMs,
      };
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
    }
  });
}

/** Stops the server in `mode`, leaves it down for `downMs`, and starts it again. */
async function restart(
  server: LocalServer,
  sql: pg.Pool,
  mode: Restart['mode'],
  downMs: number,
  log: (line: string) => void,
): Promise<Restart> {
  const counts = await countStates(sql, QUEUE);
  const stopAt = Date.now();
  log(`[trial] ${new Date(stopAt).toISOString()} stopping the server (${mode})`);
  await server.stop(mode);
  const stoppedAt = Date.now();
  await sleep(downMs);
  const startAt = Date.now();
  await server.start();
  const startedAt = Date.now();
  log(`[trial] ${new Date(startedAt).toISOString()} the server is up again`);
  return { mode, runningBefore: counts.running ?? 0, stopAt, stoppedAt, startAt, startedAt };
}

/** Places a repeated job against the restarts: which one (if any) its runs straddle. */
function placeAgainst(restarts: readonly Restart[], job: RepeatedJob): DescribedRepeat {
  const first = job.runs[0]?.startedAt.getTime() ?? 0;
  const last = job.runs.at(-1)?.startedAt.getTime() ?? 0;
  const straddled = restarts.find((r) => first < r.stoppedAt && last >= r.stopAt);
  return {
    ...job,
    straddles: straddled?.mode ?? null,
    offsetsMs:
      straddled === undefined
        ? null
        : job.runs.map((run) => run.startedAt.getTime() - straddled.stopAt),
  };
}
