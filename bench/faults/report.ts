import { percentile } from '../../src/dev/percentiles.js';
import type { KillResult } from './kills.js';
import type { OrphanResult } from './orphan.js';
import type { RestartResult } from './restarts.js';

/** Everything the trial measured, as written to the JSON file. */
export interface FaultResults {
  readonly startedAt: string;
  readonly quick: boolean;
  readonly machine: string;
  readonly server: string;
  /** 1-, 5- and 15-minute load averages before and after each part. */
  readonly load: Record<string, { before: number[]; after: number[] }>;
  readonly restarts: RestartResult;
  readonly kills: KillResult;
  readonly orphan: OrphanResult;
  /** Worker and library output per part (warnings, errors), for the investigation of anomalies. */
  readonly logs: Record<string, string[]>;
}

/** Prints each part's details, then one summary table. */
export function printSummary(results: FaultResults): void {
  printRestarts(results.restarts);
  printKills(results.kills);
  printOrphan(results.orphan);
  console.log('\nSummary');
  const { restarts, kills, orphan } = results;
  const load = (name: string) =>
    (results.load[name]?.before ?? []).map((x) => x.toFixed(2)).join(' ');
  const straddling = restarts.repeated.filter((job) => job.straddles !== null).length;
  const rows: [string, string, string | number][] = [
    ['1. restarts', 'load (1, 5, 15 min) at start', load('restarts')],
    ['1. restarts', 'jobs lost (not completed)', restarts.tally.lost],
    ['1. restarts', 'jobs run more than once', restarts.tally.repeatedJobs],
    ['1. restarts', 'extra runs', restarts.tally.extraRuns],
    ['1. restarts', 'of the repeated, straddling a restart', straddling],
    ['1. restarts', 'worker processes that exited', restarts.workerExits.length],
    ['2. kills', 'load (1, 5, 15 min) at start', load('kills')],
    ['2. kills', 'SIGKILLs', kills.kills.length],
    ['2. kills', 'jobs lost (not completed)', kills.tally.lost],
    ['2. kills', 'jobs run more than once', kills.tally.repeatedJobs],
    ['2. kills', 'extra runs', kills.tally.extraRuns],
    ['2. kills', 'jobs held by killed processes', kills.held],
    ['2. kills', '... and started there', kills.heldStarted],
    ['2. kills', 'run twice / held', ratio(kills.tally.repeatedJobs, kills.held)],
    ['2. kills', 'run twice / started', ratio(kills.tally.repeatedJobs, kills.heldStarted)],
    ['2. kills', 'repeats no kill explains', kills.unexplained.length],
    ['3. orphan', 'load (1, 5, 15 min) at start', load('orphan')],
    [
      '3. orphan',
      'ms from SIGKILL to 2nd start',
      orphan.runs.map((r) => r.restartedAfterMs).join(', '),
    ],
    ['3. orphan', '... median', orphan.medianRestartedAfterMs],
    ['3. orphan', 'backlog jobs started first', orphan.runs.map((r) => r.startedAhead).join(', ')],
    ['3. orphan', '... median', orphan.medianStartedAhead],
  ];
  console.table(rows.map(([part, measure, value]) => ({ part, measure, value })));
}

function printRestarts(result: RestartResult): void {
  const { tally } = result;
  console.log(`\n1. Server restarts (${result.settings.jobs} jobs, ${result.durationMs} ms)`);
  for (const r of result.restarts) {
    console.log(
      `   ${r.mode.padEnd(9)} stop took ${r.stoppedAt - r.stopAt} ms, down ${r.startAt - r.stoppedAt} ms, ` +
        `start took ${r.startedAt - r.startAt} ms; ${r.runningBefore} jobs running at the stop`,
    );
  }
  console.log(
    `   settled: ${result.settled} ${JSON.stringify(result.counts)}; lost ${tally.lost} ` +
      `(dead ${tally.dead}, never ran ${tally.neverRan}); runs ${tally.runs}; ` +
      `run more than once: ${tally.repeatedJobs} jobs, ${tally.extraRuns} extra runs`,
  );
  console.log(
    `   worker exits: ${result.workerExits.map((e) => `${e.pid} (${e.how})`).join(', ') || 'none'}; ` +
      `unrecorded runs: ${result.unrecordedRuns}`,
  );
  for (const job of result.repeated.slice(0, 20)) {
    const runs = job.runs.map((run) => `pid ${run.pid} attempt ${run.attempt}`).join(', ');
    console.log(
      `   repeated ${job.id}: ${runs}; straddles ${job.straddles ?? 'no restart'}` +
        `${job.offsetsMs === null ? '' : ` (starts at ${job.offsetsMs.join(', ')} ms from the stop)`}` +
        `; now ${job.state}, errors ${job.errorCodes.join(', ') || 'none'}`,
    );
  }
}

function printKills(result: KillResult): void {
  const { tally, kills } = result;
  console.log(`\n2. SIGKILLed workers (${result.settings.jobs} jobs, ${result.durationMs} ms)`);
  const lives = kills.map((kill) => kill.live);
  console.log(
    `   ${kills.length} kills; processes consuming at a kill: ${Math.min(...lives)} to ` +
      `${Math.max(...lives)}; jobs held by each killed process (started there): ` +
      kills.map((kill) => `${kill.held} (${kill.started})`).join(', '),
  );
  console.log(
    `   settled: ${result.settled} ${JSON.stringify(result.counts)}; lost ${tally.lost} ` +
      `(dead ${tally.dead}, never ran ${tally.neverRan}); runs ${tally.runs}`,
  );
  console.log(
    `   run more than once: ${tally.repeatedJobs} jobs (${tally.extraRuns} extra runs); ` +
      `of them held and started by a killed process: ${result.repeatedFromKills}; unexplained: ` +
      `${result.unexplained.length}`,
  );
  console.log(
    `   repeated / held by killed processes: ${ratio(tally.repeatedJobs, result.held)}; ` +
      `repeated / started in killed processes: ${ratio(tally.repeatedJobs, result.heldStarted)}`,
  );
  const unstarted = kills.flatMap((kill) => kill.unstartedClaimedMsBefore).sort((a, b) => a - b);
  if (unstarted.length > 0) {
    console.log(
      `   held but not started (no record yet): ${unstarted.length}, claimed ` +
        `${unstarted[0]} to ${unstarted.at(-1)} ms before the kill ` +
        `(median ${percentile(unstarted, 0.5)} ms)`,
    );
  }
  console.log(
    `   other worker exits: ${result.unexpectedExits.map((e) => `${e.pid} (${e.how})`).join(', ') || 'none'}; ` +
      `unrecorded runs: ${result.unrecordedRuns}`,
  );
}

function printOrphan(result: OrphanResult): void {
  const { settings } = result;
  console.log(
    `\n3. An orphan behind a backlog of ${settings.backlog} (lease ${settings.leaseMs} ms, ` +
      `sweeper ${settings.sweeperMs} ms, ${settings.consumers} processes × ${settings.concurrency})`,
  );
  result.runs.forEach((run, i) => {
    console.log(
      `   #${i + 1}: started again ${run.restartedAfterMs} ms after the kill ` +
        `(swept at ${run.sweptAfterMs} ms; backlog sent by ${run.backlogSentAfterMs} ms); ` +
        `${run.startedAhead} backlog jobs started before it`,
    );
  });
  console.log(
    `   median: ${result.medianRestartedAfterMs} ms, ${result.medianStartedAhead} jobs ahead`,
  );
}

function ratio(part: number, whole: number): string {
  return whole === 0 ? 'n/a' : (part / whole).toFixed(2);
}
