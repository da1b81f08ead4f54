import type { Context } from '../db/context.js';
import { sqlStateOf } from '../db/sqlstate.js';
import type { SqlExecutor } from '../kernel/types.js';
import { checkClient, checkKnownKeys, checkOptionsObject, invalid } from '../kernel/validate.js';
import { traceSend } from '../observe/tracing.js';
import {
  type AnyJobDefinition,
  isJobDefinition,
  validatePayload,
  withDefinitionDefaults,
} from './define-job.js';
import {
  type FlowNode,
  flowIds,
  linkFlow,
  type NodeInput,
  type ResolvedFlow,
  resolveParents,
  splitNode,
  toFlowEdgesJson,
  toFlowNodesJson,
} from './flow-spec.js';
import { type JobOptions, type JobSpecDefaults, resolveJobSpec } from './job-spec.js';

/** Options of `queue.flow()` and `queue.batch()`. */
export interface FlowOptions {
  /** Run on this client instead of the queue's pool, e.g. inside your own transaction. */
  client?: SqlExecutor;
}

/** What `queue.flow()` made: the flow's id and each node's job id by its ref. */
export interface FlowResult {
  /** The flow's id: `queue.flows.get(flowId)`. */
  flowId: string;
  /** Job ids by node ref. */
  ids: Record<string, string>;
}

/** One job of a batch (`queue.batch()`): its queue, payload and options. */
export interface BatchJob<P = unknown> extends Omit<JobOptions, 'idempotencyKey' | 'retainKey'> {
  /** The queue the job goes to. */
  queue: string;
  /** Its payload (JSON). */
  payload: P;
}

/** What `queue.batch()` made: the flow's id, the jobs' ids in order, and the callback's. */
export interface BatchResult {
  /** The flow's id. */
  flowId: string;
  /** The jobs' ids, in the order given. */
  ids: string[];
  /** The callback job's id. */
  callbackId: string;
}

/** The SQLSTATE insert_flow() raises for a parent found nowhere (migration 0016). */
const PARENT_NOT_FOUND = 'PQ002';

/**
 * Validates a flow's nodes: each payload (through its definition's schema when the node has a
 * `definition`), options and parents, with ids drawn for all.
 */
export async function resolveNodes(
  input: unknown,
  defaults: JobSpecDefaults,
  ids: readonly string[],
): Promise<NodeInput[]> {
  const list = input as readonly unknown[];
  return Promise.all(
    list.map(async (node, i) => {
      const field = `nodes[${i}]`;
      const split = splitNode(field, node);
      const { definition, ...rest } = split.options;
      let payload = split.payload;
      let options: JobOptions = rest;
      if (definition !== undefined) {
        if (!isJobDefinition(definition))
          throw invalid(`${field}.definition`, 'a job definition', definition);
        payload = await validatePayload(
          definition as AnyJobDefinition,
          payload,
          `${field}.payload`,
        );
        options = withDefinitionDefaults(definition as AnyJobDefinition, rest);
      }
      return {
        ref: split.ref,
        queue: split.queue,
        parents: resolveParents(`${field}.dependsOn`, split.dependsOn, split.onParentFailure, true),
        spec: resolveJobSpec(field, payload, options, defaults, ids[i]),
      };
    }),
  );
}

/** Checks `queue.flow()`'s node list and options; returns the client to write on. */
export function checkFlowCall(nodes: unknown, options: unknown): SqlExecutor | undefined {
  if (!Array.isArray(nodes)) throw invalid('nodes', 'an array of flow nodes', nodes);
  const opts = checkOptionsObject('options', options);
  checkKnownKeys('options', opts, ['client']);
  return checkClient(opts.client);
}

/**
 * Inserts a resolved flow in one statement (insert_flow(), all or nothing) and returns its id.
 *
 * @param inherit - join the flow of the first outside parent that has one.
 * @param fieldOf - names an outside parent's id in errors.
 * @throws ValidationError naming the dependency when a parent is unknown or pruned.
 */
export async function insertFlow(
  ctx: Context,
  flow: ResolvedFlow,
  how: {
    flowId: string;
    inherit: boolean;
    client: SqlExecutor | undefined;
    fieldOf: (id: string) => string;
  },
): Promise<string> {
  const queue = flow.nodes[0]?.queue ?? 'flow';
  try {
    return await traceSend(queue, flow.nodes.length, async (traceContext) => {
      const [row] = await ctx.run<{ flow_id: string }>(
        'send_flow',
        [
          how.flowId,
          how.inherit,
          toFlowNodesJson(flow, traceContext),
          toFlowEdgesJson(flow.edges),
          flow.outside,
          ctx.options.maxAttempts,
        ],
        how.client,
      );
      return row?.flow_id ?? how.flowId;
    });
  } catch (error) {
    if (sqlStateOf(error) === PARENT_NOT_FOUND) {
      const id = parentIdOf(error);
      throw invalid(how.fieldOf(id), 'the id of an existing job (not pruned)', id);
    }
    throw error;
  }
}

function parentIdOf(error: unknown): string {
  try {
    const detail = JSON.parse((error as { detail?: string }).detail ?? '{}') as { id?: unknown };
    return String(detail.id);
  } catch {
    return 'unknown';
  }
}

/** Where each outside parent is first named, for errors. */
export function outsideFields(nodes: readonly NodeInput[]): (id: string) => string {
  const fields = new Map<string, string>();
  for (const node of nodes) {
    for (const { id, field } of node.parents.ids) if (!fields.has(id)) fields.set(id, field);
  }
  return (id) => fields.get(id) ?? 'dependsOn';
}

/** Builds a flow from `queue.flow()`'s nodes: validated, linked, ids drawn. */
export async function buildFlow(
  nodes: readonly unknown[],
  defaults: JobSpecDefaults,
): Promise<{ resolved: ResolvedFlow; inputs: NodeInput[]; flowId: string }> {
  if (nodes.length === 0) throw invalid('nodes', 'an array of at least one node', nodes);
  const ids = flowIds(nodes.length);
  const inputs = await resolveNodes(nodes, defaults, ids.nodes);
  return { resolved: linkFlow(inputs), inputs, flowId: ids.flow };
}

/** `queue.batch()`'s jobs and callback as flow nodes: the callback runs once all have settled. */
export function batchNodes(jobs: unknown, callback: unknown): FlowNode[] {
  if (!Array.isArray(jobs) || jobs.length === 0) {
    throw invalid('jobs', 'an array of at least one job', jobs);
  }
  if (callback === null || typeof callback !== 'object' || Array.isArray(callback)) {
    throw invalid('callback', 'a job: an object with `queue` and `payload`', callback);
  }
  const nodes = jobs.map((job: unknown, i) => {
    if (job === null || typeof job !== 'object' || Array.isArray(job)) {
      throw invalid(`jobs[${i}]`, 'an object with `queue` and `payload`', job);
    }
    for (const key of ['ref', 'dependsOn', 'onParentFailure']) {
      if (key in job)
        throw invalid(
          `jobs[${i}].${key}`,
          'absent in a batch',
          (job as Record<string, unknown>)[key],
        );
    }
    return { ...(job as BatchJob), ref: `job:${i}` };
  });
  for (const key of ['ref', 'dependsOn', 'onParentFailure']) {
    if (key in callback)
      throw invalid(
        `callback.${key}`,
        'absent in a batch',
        (callback as Record<string, unknown>)[key],
      );
  }
  const parents = nodes.map((node) => ({ ref: node.ref, onFailure: 'run' as const }));
  return [...nodes, { ...(callback as BatchJob), ref: 'callback', dependsOn: parents }];
}
