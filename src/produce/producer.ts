import type { Context } from '../db/context.js';
import type { SendResult, SqlExecutor } from '../kernel/types.js';

type SendClient = SqlExecutor | undefined;

import { checkName, invalid } from '../kernel/validate.js';
import { traceSend } from '../observe/tracing.js';
import { SendCoalescer } from './coalesce.js';
import {
  type AnyJobDefinition,
  applyDefinition,
  isJobDefinition,
  validatePayload,
  withDefinitionDefaults,
} from './define-job.js';
import { checkOnParentFailure, linkFlow, resolveParents } from './flow-spec.js';
import {
  type BatchResult,
  batchNodes,
  buildFlow,
  checkFlowCall,
  type FlowResult,
  insertFlow,
  outsideFields,
} from './flows.js';
import { sendJobs } from './insert.js';
import {
  type JobSpecDefaults,
  newJobIds,
  type ResolvedJobSpec,
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
  readonly #coalescer: SendCoalescer;

  constructor(ctx: Context) {
    this.#ctx = ctx;
    this.#coalescer = new SendCoalescer(ctx);
    this.#defaults = { maxPayloadBytes: ctx.options.maxPayloadBytes };
  }

  /** `send(queue, payload, options?)` or `send(queue, definition, payload, options?)`. */
  async send(queue: string, args: readonly unknown[]): Promise<SendResult> {
    checkName('queue', queue);
    const definition = isJobDefinition(args[0]) ? (args[0] as AnyJobDefinition) : undefined;
    const split = splitSendOptions(args[definition ? 2 : 1]);
    const { job, client, onDuplicate } = split;
    const payload = definition ? await validatePayload(definition, args[1]) : args[0];
    const options = definition ? withDefinitionDefaults(definition, job) : job;
    const spec = resolveJobSpec('', payload, options, this.#defaults);
    if (split.dependsOn !== undefined || split.onParentFailure !== undefined) {
      return this.#sendDependent(queue, spec, split.dependsOn, split.onParentFailure, client);
    }
    if (client === undefined && spec.idempotencyKey === null) {
      // Nothing to report but its id: it may go with other sends waiting for a connection.
      await traceSend(queue, null, (traceContext) =>
        this.#coalescer.send(queue, spec, traceContext),
      );
      return { id: spec.id, duplicate: false, replaced: false };
    }
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
    const { job, client, onDuplicate, dependsOn, onParentFailure } = splitSendOptions(
      definition ? third : second,
    );
    if (dependsOn !== undefined || onParentFailure !== undefined) {
      throw invalid('options.dependsOn', 'absent in a batch (use queue.flow())', dependsOn);
    }
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

  /** `queue.flow(nodes, options?)`: a whole DAG in one statement. */
  async flow(nodes: unknown, options: unknown): Promise<FlowResult> {
    const client = checkFlowCall(nodes, options);
    const { resolved, inputs, flowId } = await buildFlow(nodes as unknown[], this.#defaults);
    const id = await insertFlow(this.#ctx, resolved, {
      flowId,
      inherit: false,
      client,
      fieldOf: outsideFields(inputs),
    });
    return { flowId: id, ids: Object.fromEntries(inputs.map((n) => [n.ref, n.spec.id])) };
  }

  /** `queue.batch(jobs, callback, options?)`: a flow whose callback waits for every job. */
  async batch(jobs: unknown, callback: unknown, options: unknown): Promise<BatchResult> {
    const { flowId, ids } = await this.flow(batchNodes(jobs, callback), options);
    const count = (jobs as unknown[]).length;
    return {
      flowId,
      ids: Array.from({ length: count }, (_, i) => ids[`job:${i}`] as string),
      callbackId: ids.callback as string,
    };
  }

  /** A job with parents sent before: a flow of one node, joining its first parent's flow. */
  async #sendDependent(
    queue: string,
    spec: ResolvedJobSpec,
    dependsOn: unknown,
    onParentFailure: unknown,
    client: SendClient,
  ): Promise<SendResult> {
    if (spec.idempotencyKey !== null) {
      throw invalid('idempotencyKey', 'absent with `dependsOn`', spec.idempotencyKey);
    }
    const policy = checkOnParentFailure('onParentFailure', onParentFailure);
    const parents = resolveParents('dependsOn', dependsOn ?? [], policy, false);
    if (parents.ids.length === 0) {
      return (
        await sendJobs(this.#ctx, queue, [spec], {
          client,
          onDuplicate: 'return',
          traceContext: null,
        })
      )[0] as SendResult;
    }
    const node = { ref: 'job', queue, parents, spec };
    const [flowId] = newJobIds(1) as [string];
    await insertFlow(this.#ctx, linkFlow([node]), {
      flowId,
      inherit: true,
      client,
      fieldOf: outsideFields([node]),
    });
    return { id: spec.id, duplicate: false, replaced: false };
  }
}
