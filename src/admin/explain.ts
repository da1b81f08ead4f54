import type { Context } from '../db/context.js';
import { JobNotFoundError } from '../kernel/job-errors.js';
import type { JobState } from '../kernel/types.js';
import { checkJobId } from '../kernel/validate.js';

/**
 * Why a job is or is not running, by stable code (see {@link JobExplanation}):
 * - `finished`: completed or cancelled; `dead`: attempts exhausted or a permanent error;
 * - `running`: leased by `workerId` until `until`; `lease-expired`: its worker stopped
 *   heartbeating, the sweeper will put it back;
 * - `waiting-on-parents`: a job of a flow whose parents (ids in `holders`) have not settled;
 * - `delayed`: not due until `until`;
 * - `queue-paused`;
 * - `queue-concurrency`: the queue's cap is full (`running` of `limit`, ids in `holders`);
 * - `queue-rate-limit`: the queue's token bucket is empty until `until`;
 * - `group-fifo`: its group runs in order and `holders` (the job before it, or the running one)
 *   must finish first;
 * - `group-concurrency`: its group's cap is full (`running` of `limit`, ids in `holders`);
 * - `group-rate-limit`: its group's token bucket is empty until `until`;
 * - `no-worker`: nothing blocks it, but no live worker consumes the queue (worker registry);
 * - `waiting-in-line`: claimable, behind `ahead` due jobs of its line (its group's, in a fair
 *   queue);
 * - `fair-turn`: claimable at its group's turn: other groups' due jobs are served in turn;
 * - `claimable`: the next claim of its queue takes it.
 */
export type ExplainReason =
  | 'finished'
  | 'dead'
  | 'running'
  | 'lease-expired'
  | 'waiting-on-parents'
  | 'delayed'
  | 'queue-paused'
  | 'queue-concurrency'
  | 'queue-rate-limit'
  | 'group-fifo'
  | 'group-concurrency'
  | 'group-rate-limit'
  | 'no-worker'
  | 'waiting-in-line'
  | 'fair-turn'
  | 'claimable';

/** One thing that holds a job back (or says it is not held back), from {@link Queue.explain}. */
export interface ExplainFinding {
  code: ExplainReason;
  /** One sentence for a person. */
  message: string;
  /** When it ends, where that is known: the run time, the lease's end, the next token. */
  until?: Date;
  /** The limit in force (`queue-concurrency`, `group-concurrency`). */
  limit?: number;
  /** How many run now under that limit. */
  running?: number;
  /** The jobs holding the slots, oldest first (at most 20), or the FIFO predecessor. */
  holders?: string[];
  /** The worker holding the job (`running`, `lease-expired`). */
  workerId?: string;
  /** Due jobs ahead of it in its line (`waiting-in-line`; at most 1,000 counted). */
  ahead?: number;
}

/** The answer of {@link Queue.explain}. */
export interface JobExplanation {
  id: string;
  queue: string;
  state: JobState;
  /** The group (tenant) of the job, if it has one. */
  group: string | null;
  /** Whether the next claim of its queue may take it (it is due and nothing caps it). */
  claimable: boolean;
  /** The first of `findings`: the reason. */
  reason: ExplainFinding;
  /** Everything that holds the job back, most decisive first; or why nothing does. */
  findings: ExplainFinding[];
}

/** What explain_job.sql reads. */
export interface ExplainRow {
  id: string;
  queue: string;
  state: JobState;
  run_at: Date;
  tenant: string | null;
  worker_id: string | null;
  lease_expires_at: Date | null;
  db_now_ms: string;
  paused: boolean;
  concurrency_limit: number | null;
  fair: boolean;
  rate_limit: number | null;
  rate_period_ms: number | null;
  queue_tokens: number | null;
  queue_running: string;
  queue_running_ids: string[];
  grouped: boolean;
  group_concurrency_limit: number | null;
  group_rate_limit: number | null;
  group_rate_period_ms: number | null;
  group_fifo: boolean;
  group_tokens: number | null;
  group_running: string;
  group_running_ids: string[];
  fifo_head: string | null;
  ahead: string;
  other_groups_due: boolean;
  live_workers: string;
  open_parents: string[];
}

/** When a token bucket holding `tokens` of `limit` per `periodMs` has a whole token again. */
function nextToken(nowMs: number, tokens: number, limit: number, periodMs: number): Date {
  return new Date(nowMs + Math.ceil(((1 - tokens) * periodMs) / limit));
}

/** The findings for one job, most decisive first. Pure. */
export function explainFindings(row: ExplainRow): ExplainFinding[] {
  const now = Number(row.db_now_ms);
  const group = row.tenant === '' ? 'without a group' : `of group ${JSON.stringify(row.tenant)}`;
  if (row.state === 'completed' || row.state === 'cancelled') {
    return [{ code: 'finished', message: `The job is ${row.state}.` }];
  }
  if (row.state === 'dead') {
    return [{ code: 'dead', message: 'The job is dead: redrive it to run it again.' }];
  }
  if (row.state === 'running') {
    const until = row.lease_expires_at ?? undefined;
    const workerId = row.worker_id ?? undefined;
    if (until !== undefined && until.getTime() < now) {
      const message = `Its lease (worker ${workerId}) expired at ${until.toISOString()}: the sweeper puts it back.`;
      return [{ code: 'lease-expired', message, until, ...(workerId && { workerId }) }];
    }
    const message = `It is running, leased by worker ${workerId} until ${until?.toISOString()}.`;
    return [{ code: 'running', message, ...(until && { until }), ...(workerId && { workerId }) }];
  }
  if (row.state === 'waiting') {
    const holders = row.open_parents;
    const message = `It waits on its parents: ${holders.length} have not settled.`;
    return [{ code: 'waiting-on-parents', message, holders }];
  }
  const found: ExplainFinding[] = [];
  if (row.run_at.getTime() > now) {
    found.push({
      code: 'delayed',
      message: `It is not due until ${row.run_at.toISOString()}.`,
      until: row.run_at,
    });
  }
  if (row.paused) found.push({ code: 'queue-paused', message: `Queue ${row.queue} is paused.` });
  const queueRunning = Number(row.queue_running);
  if (row.concurrency_limit !== null && queueRunning >= row.concurrency_limit) {
    found.push({
      code: 'queue-concurrency',
      message: `Queue ${row.queue} runs ${queueRunning} of ${row.concurrency_limit} jobs at once.`,
      limit: row.concurrency_limit,
      running: queueRunning,
      holders: row.queue_running_ids,
    });
  }
  if (row.queue_tokens !== null && row.queue_tokens < 1 && row.rate_limit && row.rate_period_ms) {
    const until = nextToken(now, row.queue_tokens, row.rate_limit, row.rate_period_ms);
    const message = `Queue ${row.queue}'s rate limit allows no start until ${until.toISOString()}.`;
    found.push({ code: 'queue-rate-limit', message, until });
  }
  if (row.grouped) found.push(...groupFindings(row, now, group));
  if (found.length > 0) return found;
  const ahead = Number(row.ahead);
  if (Number(row.live_workers) === 0) {
    found.push({
      code: 'no-worker',
      message: `Nothing holds it back, but no live worker consumes queue ${row.queue}.`,
    });
  }
  if (ahead > 0) {
    const line = row.fair ? `its group's line` : `queue ${row.queue}'s line`;
    const message = `It can start: ${ahead >= 1000 ? 'at least 1000' : ahead} due jobs are ahead of it in ${line}.`;
    found.push({ code: 'waiting-in-line', message, ahead });
  } else if (row.other_groups_due) {
    const message = `It can start at its group's turn: queue ${row.queue} serves its groups in turn.`;
    found.push({ code: 'fair-turn', message });
  } else {
    found.push({ code: 'claimable', message: 'It can start: the next claim takes it.' });
  }
  return found;
}

function groupFindings(row: ExplainRow, now: number, group: string): ExplainFinding[] {
  const found: ExplainFinding[] = [];
  const running = Number(row.group_running);
  if (row.group_fifo && (running > 0 || (row.fifo_head !== null && row.fifo_head !== row.id))) {
    const holders = running > 0 ? row.group_running_ids : [row.fifo_head as string];
    const message = `Jobs ${group} run in order, and ${holders[0]} (sent before it) has not finished.`;
    found.push({ code: 'group-fifo', message, holders });
    return found;
  }
  const limit = row.group_concurrency_limit;
  if (limit !== null && running >= limit) {
    found.push({
      code: 'group-concurrency',
      message: `Jobs ${group} run at most ${limit} at once, and ${running} run now.`,
      limit,
      running,
      holders: row.group_running_ids,
    });
  }
  const tokens = row.group_tokens;
  if (tokens !== null && tokens < 1 && row.group_rate_limit && row.group_rate_period_ms) {
    const until = nextToken(now, tokens, row.group_rate_limit, row.group_rate_period_ms);
    const message = `The rate limit of jobs ${group} allows no start until ${until.toISOString()}.`;
    found.push({ code: 'group-rate-limit', message, until });
  }
  return found;
}

/** Reads and explains one job (see {@link Queue.explain}). */
export async function explainJob(ctx: Context, id: string): Promise<JobExplanation> {
  const [row] = await ctx.run<ExplainRow>('explain_job', [checkJobId('id', id)]);
  if (row === undefined) throw new JobNotFoundError(id);
  const findings = explainFindings(row);
  const reason = findings[0] as ExplainFinding;
  const claimable = ['no-worker', 'waiting-in-line', 'fair-turn', 'claimable'].includes(
    reason.code,
  );
  return {
    id: row.id,
    queue: row.queue,
    state: row.state,
    group: row.tenant,
    claimable,
    reason,
    findings,
  };
}
