/**
 * Part 2 of the fault trial: worker processes SIGKILLed while they work. Only jobs a killed
 * process was running may run twice.
 */
import type pg from 'pg';
import { sleep } from '../harness.js';
import { countStates, waitUntilSettled, withTrialDatabase } from './database.js';
import { Fleet } from './fleet.js';
import { type RepeatedJob, type RunTally, repeatedJobs, tallyRuns } from './runs.js';
import { pauseFor, startSender } from './sender.js';
import type { WorkerProcess } from './worker-processes.js';

const QUEUE = 'kills';

/**
 * After a SIGKILL, the server still runs what the dead process had already sent (a claim, a
 * completion, a record) before it notices the closed socket; the jobs it held are read after
 * this pause.
 */
const AFTER_KILL_MS = 200;

/** Worker processes kept loaded, ready to replace a killed one at once. */
const SPARES = 5;

/** What part 2 runs. */
export interface KillSettings {
  readonly jobs: number;
  readonly workers: number;
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly jobMs: number;
  readonly killEveryMs: number;
  readonly sendSpreadMs: number;
}

/** One SIGKILL. */
export interface Kill {
  readonly pid: number;
  /** `Date.now()` of the SIGKILL. */
  readonly at: number;
  /** How long the killed process had been consuming. */
  readonly ageMs: number;
  /** Processes consuming just before the kill, the victim included. */
  readonly live: number;
  /** Jobs still running under the killed process's leases just after it died. */
  readonly held: number;
  /** Of those, the ones whose handler had recorded a start in the killed process. */
  readonly started: number;
  /** For each job held but not started there, how long before the kill it was claimed (ms). */
  readonly unstartedClaimedMsBefore: number[];
}

export interface KillResult {
  readonly settings: KillSettings;
  readonly kills: Kill[];
  readonly settled: boolean;
  readonly counts: Record<string, number>;
  readonly tally: RunTally;
  /** Jobs held by killed processes, and of those, started there. */
  readonly held: number;
  readonly heldStarted: number;
  /** Repeated jobs that a killed process held and had started (the expected ones). */
  readonly repeatedFromKills: number;
  /** Repeated jobs no kill explains. */
  readonly unexplained: RepeatedJob[];
  /** Worker processes that ended without being killed by the trial. */
  readonly unexpectedExits: { pid: number; how: string }[];
  readonly unrecordedRuns: number;
  readonly durationMs: number;
}

/** Runs part 2 on the server whose superuser URL is `adminUrl`. Worker output goes to `log`. */
export function killTrial(
  adminUrl: string,
  settings: KillSettings,
  log: (line: string) => void,
): Promise<KillResult> {
  return withTrialDatabase(adminUrl, log, async (db) => {
    const fleet = new Fleet(
      {
        FAULTS_DATABASE_URL: db.url,
        FAULTS_QUEUE: QUEUE,
        FAULTS_CONCURRENCY: String(settings.concurrency),
        FAULTS_LEASE_MS: String(settings.leaseMs),
        FAULTS_JOB_MS: String(settings.jobMs),
      },
      log,
    );
    try {
      await fleet.start(settings.workers, SPARES);
      const began = Date.now();
      const batchSize = 100;
      const sender = startSender(db.queue, QUEUE, {
        total: settings.jobs,
        batchSize,
        pauseMs: pauseFor(settings.jobs, batchSize, settings.sendSpreadMs),
        keyed: false,
      });
      const held: HeldJobs[] = [];
      for (;;) {
        await sleep(settings.killEveryMs);
        const pending = (await countStates(db.sql, QUEUE)).pending ?? 0;
        if (sender.sent() === settings.jobs && pending === 0) break;
        const live = fleet.live();
        // The longest-consuming process, so that kills go round.
        const victim = live[0];
        if (victim === undefined) continue;
        const at = Date.now();
        await fleet.kill(victim);
        held.push(await heldBy(db.sql, victim, at, live.length));
      }
      await sender.done;
      await fleet.settled();
      const { counts, settled } = await waitUntilSettled(db.sql, QUEUE, settings.jobs, 300_000);
      const durationMs = Date.now() - began;
      // Read now, not at the kill: a record the dead process sent may have been written late.
      const kills = await Promise.all(held.map((entry) => describeKill(db.sql, entry)));
      const startedThere = new Set(kills.flatMap((kill) => kill.startedIds));
      const repeated = await repeatedJobs(db.sql, QUEUE);
      return {
        settings,
        kills: kills.map(({ startedIds, ...kill }) => kill),
        settled,
        counts,
        tally: await tallyRuns(db.sql, QUEUE),
        held: kills.reduce((sum, kill) => sum + kill.held, 0),
        heldStarted: startedThere.size,
        repeatedFromKills: repeated.filter((job) => startedThere.has(job.id)).length,
        unexplained: repeated.filter((job) => !startedThere.has(job.id)),
        unexpectedExits: fleet.unexpectedExits(),
        unrecordedRuns: fleet.unrecordedRuns(),
        durationMs,
      };
    } finally {
      await fleet.stop();
    }
  });
}

/** The jobs a killed process held when it died. */
interface HeldJobs {
  readonly victim: WorkerProcess;
  readonly at: number;
  readonly live: number;
  /** Job id → when it was claimed (`started_at`, ms). */
  readonly claimedAt: Map<string, number>;
}

/** Reads which jobs `victim`, SIGKILLed at `at`, held. */
async function heldBy(
  sql: pg.Pool,
  victim: WorkerProcess,
  at: number,
  live: number,
): Promise<HeldJobs> {
  await sleep(AFTER_KILL_MS);
  const { rows } = await sql.query<{ id: string; started_at: Date }>(
    `SELECT id, started_at FROM pgpulse.all_jobs
     WHERE queue = $1 AND worker_id = $2 AND state = 'running'`,
    [QUEUE, victim.workerId],
  );
  return {
    victim,
    at,
    live,
    claimedAt: new Map(rows.map((row) => [row.id, row.started_at.getTime()])),
  };
}

/** A kill, once the `handled` table says which of its held jobs had started there. */
async function describeKill(
  sql: pg.Pool,
  entry: HeldJobs,
): Promise<Kill & { startedIds: string[] }> {
  const { rows } = await sql.query<{ job_id: string }>(
    'SELECT DISTINCT job_id FROM handled WHERE pid = $1 AND job_id = ANY($2::uuid[])',
    [entry.victim.pid, [...entry.claimedAt.keys()]],
  );
  const startedIds = rows.map((row) => row.job_id);
  const started = new Set(startedIds);
  return {
    pid: entry.victim.pid,
    at: entry.at,
    ageMs: entry.at - entry.victim.readyAt,
    live: entry.live,
    held: entry.claimedAt.size,
    started: started.size,
    unstartedClaimedMsBefore: [...entry.claimedAt]
      .filter(([id]) => !started.has(id))
      .map(([, claimedAt]) => entry.at - claimedAt),
    startedIds,
  };
}
