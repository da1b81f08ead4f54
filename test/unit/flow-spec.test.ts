import { describe, expect, test } from 'vitest';
import { ValidationError } from '../../src/index.js';
import {
  findCycle,
  linkFlow,
  MAX_FLOW_EDGES,
  type NodeInput,
  resolveParents,
} from '../../src/produce/flow-spec.js';
import { resolveJobSpec } from '../../src/produce/job-spec.js';

const defaults = { maxPayloadBytes: 1_000_000 };

function node(ref: string, parents: string[] = [], ids: string[] = []): NodeInput {
  return {
    ref,
    queue: 'q',
    parents: resolveParents(
      'dependsOn',
      [...parents, ...ids.map((id) => ({ id }))],
      'cancel',
      true,
    ),
    spec: resolveJobSpec('', null, undefined, defaults),
  };
}

describe('findCycle', () => {
  test('none in a DAG; the path of one otherwise, even 100,000 deep without recursion', () => {
    expect(findCycle([[1, 2], [3], [3], []])).toBeUndefined();
    expect(findCycle([[1], [2], [0]])).toEqual([0, 1, 2]);
    const chain = Array.from({ length: 100_000 }, (_, i) => (i < 99_999 ? [i + 1] : [0]));
    expect(findCycle(chain)).toHaveLength(100_000);
  });
});

describe('linkFlow', () => {
  test('counts each node’s parents and collects outside ones once', () => {
    const outside = '0190f0e0-0000-7000-8000-00000000000A';
    const flow = linkFlow([node('a', [], [outside]), node('b', ['a'], [outside])]);
    expect(flow.nodes.map((n) => n.parents)).toEqual([1, 2]);
    expect(flow.outside).toEqual([outside.toLowerCase()]);
    expect(flow.edges).toHaveLength(3);
  });

  test('refuses an unknown ref, itself as a parent, a duplicate ref, a cycle', () => {
    expect(() => linkFlow([node('a', ['b'])])).toThrow(ValidationError);
    expect(() => linkFlow([node('a', ['a'])])).toThrow(/another node than the job itself/);
    expect(() => linkFlow([node('a'), node('a')])).toThrow(/unique in the flow/);
    expect(() => linkFlow([node('a', ['b']), node('b', ['a'])])).toThrow(/a → b → a/);
  });

  test('refuses more than MAX_FLOW_EDGES dependencies', () => {
    const parents = Array.from({ length: 1000 }, (_, i) => node(`p${i}`));
    const refs = parents.map((p) => p.ref);
    const children = Array.from({ length: MAX_FLOW_EDGES / 1000 + 1 }, (_, i) =>
      node(`c${i}`, refs),
    );
    expect(() => linkFlow([...parents, ...children])).toThrow(/at most 100000 dependencies/);
  });
});

describe('resolveParents', () => {
  test('reads ids or refs with their policy, and refuses bad entries', () => {
    const id = '0190f0e0-0000-7000-8000-000000000001';
    expect(
      resolveParents('dependsOn', [id, { id, onFailure: 'run' }].slice(0, 1), 'dead', false),
    ).toEqual({
      refs: [],
      ids: [{ id, onFailure: 'dead', field: 'dependsOn[0]' }],
    });
    expect(() => resolveParents('dependsOn', [id, id], 'cancel', false)).toThrow(/named once/);
    expect(() => resolveParents('dependsOn', ['nope'], 'cancel', false)).toThrow(/a job id/);
    expect(() => resolveParents('dependsOn', [{ id, onFailure: 'x' }], 'cancel', false)).toThrow(
      /dependsOn\[0\]\.onFailure/,
    );
    expect(() => resolveParents('dependsOn', 'x', 'cancel', false)).toThrow(/an array/);
  });
});
