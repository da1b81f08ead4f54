import { describe, expect, test } from 'vitest';
import type { FlowInfo, FlowJob } from '../../src/admin/flows.js';
import { renderFlow } from '../../src/cli/flow-view.js';

function job(id: string, state: FlowJob['state'], parents: string[], children: string[]): FlowJob {
  return {
    id: `${id}0000000-0000-7000-8000-000000000000`,
    queue: 'q',
    name: 'default',
    state,
    attempts: 0,
    waitingParents: state === 'waiting' ? parents.length : 0,
    parents: parents.map((p) => ({
      id: `${p}0000000-0000-7000-8000-000000000000`,
      onFailure: 'cancel',
      outcome: null,
    })),
    children: children.map((c) => `${c}0000000-0000-7000-8000-000000000000`),
    error: null,
    createdAt: new Date(0),
    startedAt: null,
    finishedAt: null,
  };
}

describe('renderFlow', () => {
  test('a chain stays at one indentation however long', () => {
    const jobs = Array.from({ length: 9 }, (_, i) =>
      job(String(i + 1), 'waiting', i === 0 ? [] : [String(i)], i === 8 ? [] : [String(i + 2)]),
    );
    const flow: FlowInfo = {
      id: 'f',
      counts: { waiting: 9, pending: 0, running: 0, completed: 0, dead: 0, cancelled: 0 },
      finished: false,
      jobs,
    };
    const lines = renderFlow(flow).split('\n');
    expect(lines).toHaveLength(10);
    expect(lines.slice(1).every((line) => line.startsWith('… '))).toBe(true);
  });
});
