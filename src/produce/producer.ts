import type { Context } from '../db/context.js';
import type { SendResult } from '../kernel/types.js';
import { checkName, invalid } from '../kernel/validate.js';
import { traceSend } from '../observe/tracing.js';
import {
  type AnyJobDefinition,
  applyDefinition,
  isJobDefinition,
  validatePayload,
  withDefinitionDefaults,
} from './define-job.js';
import { sendJobs } from './insert.js';
import {
  type JobSpecDefaults,
  resolveBatch,
  resolveJobSpec,
  splitSendOptions,
} from './job-spec.js';

/**
 * Sends jobs: turns a `send` or `sendBatch` call (a payload or a job definition's, and options)
 * into validated jobs, traces it, and inserts them in one statement.
 */
export class Producer {
  readonly #ctx: Context;
  readonly #defaults: JobSpecDefaults;

  constructor(ctx: Context) {
    this.#ctx = ctx;
    this.#defaults = { maxPayloadBytes: ctx.options.maxPayloadBytes };
  }

  /** `send(queue, payload, options?)` or `send(queue, definition, payload, options?)`. */
  async send(queue: string, args: readonly unknown[]): Promise<SendResult> {
    checkName('queue', queue);
    const definition = isJobDefinition(args[0]) ? (args[0] as AnyJobDefinition) : undefined;
    const { job, client, onDuplicate } = splitSendOptions(args[definition ? 2 : 1]);
    const payload = definition ? await validatePayload(definition, args[1]) : args[0];
    const options = definition ? withDefinitionDefaults(definition, job) : job;
    const spec = resolveJobSpec('', payload, options, this.#defaults);
    const [result] = await traceSend(queue, null, (traceContext) =>
      sendJobs(this.#ctx, queue, [spec], { client, onDuplicate, traceContext }),
    );
    if (result === undefined) throw new Error('send_jobs returned no result');
    return result;
  }

  /** `sendBatch(queue, items, options?)` or `sendBatch(queue, definition, items, options?)`. */
  async sendBatch(queue: string, args: readonly unknown[]): Promise<SendResult[]> {
    checkName('queue', queue);
    const [first, second, third] = args;
    const definition = isJobDefinition(first) ? (first as AnyJobDefinition) : undefined;
    const items = definition ? await applyDefinition(definition, second) : first;
    const specs = resolveBatch(items, this.#defaults);
    const { job, client, onDuplicate } = splitSendOptions(definition ? third : second);
    if (job !== undefined && Object.keys(job).length > 0) {
      // A batch's job options belong to its items.
      throw invalid(
        'options',
        'an object with only `client` and `onDuplicate`',
        Object.keys(job)[0],
      );
    }
    return traceSend(queue, specs.length, (traceContext) =>
      sendJobs(this.#ctx, queue, specs, { client, onDuplicate, traceContext }),
    );
  }
}
