import { type Dependency, ON_PARENT_FAILURE, type OnParentFailure } from '../kernel/types.js';
import { checkIdentifier, checkJobId, checkName, invalid } from '../kernel/validate.js';
import { type JobOptions, newJobIds, type ResolvedJobSpec } from './job-spec.js';

/** One job of a flow (`queue.flow()`): where it goes, its payload and options, its parents. */
export interface FlowNode<P = unknown> extends Omit<JobOptions, 'idempotencyKey' | 'retainKey'> {
  /** The node's name within the flow, unique in it; other nodes name it in `dependsOn`. */
  ref: string;
  /** The queue the job goes to (nodes of one flow may go to different queues). */
  queue: string;
  /** Its payload (JSON). */
  payload: P;
  /** Its parents: other nodes' refs, or `{ id }` of jobs sent before. Default none (a root). */
  dependsOn?: readonly Dependency[];
  /** What it does when a parent fails. Default `'cancel'`. */
  onParentFailure?: OnParentFailure;
}

/** Most jobs one flow may have. */
export const MAX_FLOW_NODES = 100_000;
/** Most dependencies (edges) one flow may have. */
export const MAX_FLOW_EDGES = 100_000;

/** One edge, ready for insert_flow(). */
export interface ResolvedEdge {
  readonly child: string;
  readonly parent: string;
  readonly onFailure: OnParentFailure;
}

/** A node's validated parents: local refs, and ids of jobs outside the call. */
export interface ResolvedParents {
  readonly refs: readonly { ref: string; onFailure: OnParentFailure; field: string }[];
  readonly ids: readonly { id: string; onFailure: OnParentFailure; field: string }[];
}

/** A flow ready to insert: every node's job, its edges, and the parents outside it. */
export interface ResolvedFlow {
  readonly nodes: readonly { queue: string; spec: ResolvedJobSpec; parents: number }[];
  readonly edges: readonly ResolvedEdge[];
  /** Jobs sent before that nodes depend on, each once, in order of first mention. */
  readonly outside: readonly string[];
}

/** `onParentFailure` or an edge's `onFailure`. */
export function checkOnParentFailure(field: string, value: unknown): OnParentFailure {
  if (value === undefined) return 'cancel';
  if ((ON_PARENT_FAILURE as readonly unknown[]).includes(value)) return value as OnParentFailure;
  throw invalid(field, "'cancel', 'dead' or 'run'", value);
}

/**
 * Validates a `dependsOn` list. With `local`, a string is a node's ref; without, a job's id.
 *
 * @throws ValidationError naming the bad entry, e.g. `nodes[2].dependsOn[1]`.
 */
export function resolveParents(
  field: string,
  value: unknown,
  fallback: OnParentFailure,
  local: boolean,
): ResolvedParents {
  if (value === undefined) return { refs: [], ids: [] };
  if (!Array.isArray(value)) throw invalid(field, 'an array of parents', value);
  const refs: { ref: string; onFailure: OnParentFailure; field: string }[] = [];
  const ids: { id: string; onFailure: OnParentFailure; field: string }[] = [];
  value.forEach((entry: unknown, index) => {
    const at = `${field}[${index}]`;
    if (typeof entry === 'string') {
      if (local)
        refs.push({ ref: checkIdentifier(at, entry, 256), onFailure: fallback, field: at });
      else ids.push({ id: checkJobId(at, entry), onFailure: fallback, field: at });
      return;
    }
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      throw invalid(at, local ? 'a ref, or { ref } or { id }' : 'a job id, or { id }', entry);
    }
    const { id, ref, onFailure, ...rest } = entry as Record<string, unknown>;
    const extra = Object.keys(rest)[0];
    if (extra !== undefined)
      throw invalid(`${at}.${extra}`, 'absent (unknown option)', rest[extra]);
    const policy =
      onFailure === undefined ? fallback : checkOnParentFailure(`${at}.onFailure`, onFailure);
    if (local && ref !== undefined && id === undefined) {
      refs.push({ ref: checkIdentifier(`${at}.ref`, ref, 256), onFailure: policy, field: at });
    } else if (id !== undefined && ref === undefined) {
      ids.push({ id: checkJobId(`${at}.id`, id), onFailure: policy, field: at });
    } else {
      throw invalid(at, local ? 'one of `ref` and `id`' : 'an `id`', entry);
    }
  });
  const seen = new Set<string>();
  for (const { key, field: at } of [
    ...refs.map((r) => ({ key: `r:${r.ref}`, field: r.field })),
    ...ids.map((i) => ({ key: `i:${i.id.toLowerCase()}`, field: i.field })),
  ]) {
    if (seen.has(key)) throw invalid(at, 'a parent named once in `dependsOn`', key.slice(2));
    seen.add(key);
  }
  return { refs, ids };
}

/** A node's job, validated by the caller (a payload checked, a definition applied). */
export interface NodeInput {
  readonly ref: string;
  readonly queue: string;
  readonly parents: ResolvedParents;
  readonly spec: ResolvedJobSpec;
}

/** Splits a node object into the flow's own keys and its job options. */
export function splitNode(
  field: string,
  node: unknown,
): {
  ref: string;
  queue: string;
  payload: unknown;
  dependsOn: unknown;
  onParentFailure: OnParentFailure;
  options: Record<string, unknown>;
} {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) {
    throw invalid(field, 'an object with `ref`, `queue` and `payload`', node);
  }
  const { ref, queue, payload, dependsOn, onParentFailure, ...options } = node as Record<
    string,
    unknown
  >;
  if (!('payload' in node)) throw invalid(`${field}.payload`, 'a JSON value', undefined);
  for (const key of ['idempotencyKey', 'retainKey'] as const) {
    if (key in options)
      throw invalid(
        `${field}.${key}`,
        'absent: a flow’s jobs take no idempotency key',
        options[key],
      );
  }
  return {
    ref: checkIdentifier(`${field}.ref`, ref, 256),
    queue: checkName(`${field}.queue`, queue),
    payload,
    dependsOn,
    onParentFailure: checkOnParentFailure(`${field}.onParentFailure`, onParentFailure),
    options,
  };
}

/**
 * Links validated nodes into a flow: refs unique and known, no cycle, within the limits. Pure.
 *
 * @throws ValidationError naming the node or dependency at fault; a cycle is shown as a path.
 */
export function linkFlow(nodes: readonly NodeInput[]): ResolvedFlow {
  if (nodes.length === 0 || nodes.length > MAX_FLOW_NODES) {
    throw invalid('nodes', `an array of 1 to ${MAX_FLOW_NODES} nodes`, nodes.length);
  }
  const index = new Map<string, number>();
  nodes.forEach((node, i) => {
    if (index.has(node.ref)) throw invalid(`nodes[${i}].ref`, 'unique in the flow', node.ref);
    index.set(node.ref, i);
  });
  const edges: ResolvedEdge[] = [];
  const outside = new Map<string, string>();
  const childrenOf: number[][] = nodes.map(() => []);
  const parentCount: number[] = nodes.map(() => 0);
  nodes.forEach((node, i) => {
    for (const { ref, onFailure, field } of node.parents.refs) {
      const p = index.get(ref);
      if (p === undefined) throw invalid(field, 'the ref of a node of this flow', ref);
      if (p === i) throw invalid(field, 'another node than the job itself', ref);
      edges.push({ child: node.spec.id, parent: (nodes[p] as NodeInput).spec.id, onFailure });
      childrenOf[p]?.push(i);
      parentCount[i] = (parentCount[i] ?? 0) + 1;
    }
    for (const { id, onFailure } of node.parents.ids) {
      const key = id.toLowerCase();
      if (!outside.has(key)) outside.set(key, id);
      edges.push({ child: node.spec.id, parent: key, onFailure });
      parentCount[i] = (parentCount[i] ?? 0) + 1;
    }
    if (edges.length > MAX_FLOW_EDGES) {
      throw invalid(
        'nodes',
        `a flow of at most ${MAX_FLOW_EDGES} dependencies`,
        `more (at nodes[${i}])`,
      );
    }
  });
  const cycle = findCycle(childrenOf);
  if (cycle !== undefined) {
    const path = cycle.map((i) => (nodes[i] as NodeInput).ref);
    throw invalid(
      `nodes[${cycle[0]}].dependsOn`,
      'dependencies without a cycle',
      `${path.join(' → ')} → ${path[0]}`,
    );
  }
  return {
    nodes: nodes.map((node, i) => ({
      queue: node.queue,
      spec: node.spec,
      parents: parentCount[i] ?? 0,
    })),
    edges,
    outside: [...outside.values()].map((id) => id.toLowerCase()),
  };
}

/** A cycle of the graph (node indexes along parent → child edges), found without recursion. */
export function findCycle(childrenOf: readonly (readonly number[])[]): number[] | undefined {
  const state = new Uint8Array(childrenOf.length); // 0 new, 1 on the path, 2 done
  for (let start = 0; start < childrenOf.length; start++) {
    if (state[start] !== 0) continue;
    const path: number[] = [start];
    const next: number[] = [0];
    state[start] = 1;
    while (path.length > 0) {
      const top = path.length - 1;
      const node = path[top] as number;
      const children = childrenOf[node] as readonly number[];
      const k = next[top] as number;
      if (k === children.length) {
        state[node] = 2;
        path.pop();
        next.pop();
        continue;
      }
      next[top] = k + 1;
      const child = children[k] as number;
      if (state[child] === 1) return path.slice(path.indexOf(child));
      if (state[child] === 0) {
        state[child] = 1;
        path.push(child);
        next.push(0);
      }
    }
  }
  return undefined;
}

/** Ids for a flow's nodes and the flow itself (time-ordered, like every job's). */
export function flowIds(count: number): { nodes: string[]; flow: string } {
  const ids = newJobIds(count + 1);
  return { flow: ids[0] as string, nodes: ids.slice(1) };
}

/** insert_flow()'s `nodes` argument: every job with its queue and its number of parents. */
export function toFlowNodesJson(flow: ResolvedFlow, traceContext: string | null): string {
  const parts: string[] = [];
  for (const { queue, spec, parents } of flow.nodes) {
    let json = `{"id":"${spec.id}","queue":${JSON.stringify(queue)},"payload":${spec.payloadJson}`;
    if (parents > 0) json += `,"parents":${parents}`;
    if (spec.maxAttempts !== null) json += `,"max_attempts":${spec.maxAttempts}`;
    if (spec.name !== 'default') json += `,"name":"${spec.name}"`;
    if (spec.priority !== 0) json += `,"priority":${spec.priority}`;
    if (spec.runAt !== null) json += `,"run_at":"${spec.runAt}"`;
    if (spec.delayMs !== null) json += `,"delay_ms":${spec.delayMs}`;
    if (spec.backoff !== null) json += `,"backoff":${JSON.stringify(spec.backoff)}`;
    if (spec.tenant !== null) json += `,"tenant":${JSON.stringify(spec.tenant)}`;
    if (traceContext !== null) json += `,"trace_context":${traceContext}`;
    parts.push(`${json}}`);
  }
  return `[${parts.join(',')}]`;
}

/** insert_flow()'s `edges` argument. */
export function toFlowEdgesJson(edges: readonly ResolvedEdge[]): string {
  return JSON.stringify(
    edges.map((e) => ({ child: e.child, parent: e.parent, on_failure: e.onFailure })),
  );
}
