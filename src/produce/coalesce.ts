import type { Context, HeldRun } from '../db/context.js';
import { QueueClosedError } from '../kernel/errors.js';
import { sendJobValues } from './insert.js';
import type { ResolvedJobSpec } from './job-spec.js';
import { toSendColumns } from './send-columns.js';

/** Most jobs one coalesced statement carries, and most payload bytes (a sendBatch of its own). */
const MAX_JOBS = 500;
const MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;

/** Sends that wait together for a connection, and go in one statement once they have it. */
interface Group {
  readonly queue: string;
  readonly traceContext: string | null;
  readonly specs: ResolvedJobSpec[];
  readonly settle: { resolve: () => void; reject: (error: unknown) => void }[];
  bytes: number;
}

/**
 * Plain sends on the pool (no caller's client, no idempotency key, no parents) of one queue that
 * arrive while an earlier one still waits for a connection join it: once a connection is free,
 * all of them go in one INSERT and one commit. With connections to spare every send goes at once,
 * alone, as before; when the pool is saturated (a producer outpacing it, or workers holding it),
 * N sends cost one round trip and one WAL flush instead of N, and latency falls with them
 * (bench/NOTES.md). Each send still resolves only once its job is committed. A statement that
 * fails for one job's sake fails nobody else: its jobs are then sent one by one, each getting
 * its own answer.
 */
export class SendCoalescer {
  readonly #ctx: Context;
  /** The group still waiting for a connection, per queue and trace context. */
  readonly #waiting = new Map<string, Group>();

  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  /** Resolves once `spec`'s job is committed, alone or with others. */
  send(queue: string, spec: ResolvedJobSpec, traceContext: string | null): Promise<void> {
    if (this.#ctx.closed) return Promise.reject(new QueueClosedError());
    const key = `${queue}\u0000${traceContext ?? ''}`;
    const bytes = Buffer.byteLength(spec.payloadJson);
    let group = this.#waiting.get(key);
    if (
      group === undefined ||
      group.specs.length >= MAX_JOBS ||
      group.bytes + bytes > MAX_PAYLOAD_BYTES
    ) {
      group = { queue, traceContext, specs: [], settle: [], bytes: 0 };
      this.#waiting.set(key, group);
      void this.#dispatch(key, group);
    }
    const joined = group;
    joined.specs.push(spec);
    joined.bytes += bytes;
    return new Promise<void>((resolve, reject) => joined.settle.push({ resolve, reject }));
  }

  async #dispatch(key: string, group: Group): Promise<void> {
    try {
      await this.#ctx.withConnection(async (run) => {
        // From here on the group is closed: later sends start a group of their own.
        if (this.#waiting.get(key) === group) this.#waiting.delete(key);
        await this.#insert(run, group);
      });
      for (const { resolve } of group.settle) resolve();
    } catch (error) {
      if (this.#waiting.get(key) === group) this.#waiting.delete(key);
      if (group.specs.length === 1 || !isAboutOneJob(error)) {
        for (const { reject } of group.settle) reject(error);
        return;
      }
      // One job's value failed the statement: send each alone, so only that job's sender hears.
      group.specs.forEach((spec, index) => {
        const settle = group.settle[index];
        if (settle === undefined) return;
        this.#ctx
          .run('send_job', sendJobValues(this.#ctx, group.queue, spec, group.traceContext))
          .then(() => settle.resolve(), settle.reject);
      });
    }
  }

  async #insert(run: HeldRun, group: Group): Promise<void> {
    const [only] = group.specs;
    if (group.specs.length === 1 && only !== undefined) {
      await run('send_job', sendJobValues(this.#ctx, group.queue, only, group.traceContext));
      return;
    }
    const columns = toSendColumns(group.specs);
    await run('send_jobs', [
      columns.ids,
      group.queue,
      this.#ctx.options.maxAttempts,
      'return',
      columns.payloads,
      columns.options,
      group.traceContext,
    ]);
  }
}

/**
 * Whether a failed statement may have failed for one job's values (a date out of range, say)
 * rather than for everyone's (a dropped connection, a closed queue, a missing privilege or
 * schema): only the former is worth sending again, job by job.
 */
function isAboutOneJob(error: unknown): boolean {
  const state = (error as { code?: unknown } | null)?.code;
  return typeof state === 'string' && /^(22|23)/.test(state);
}
