import { describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useTestQueue } from '../helpers/database.js';

const { db, queue } = await useTestQueue({ listen: false });
const env = { DATABASE_URL: db.url };

describe('pgpulse flow', () => {
  test('show draws the DAG with states; --json gives every job with parents and children', async () => {
    const { flowId, ids } = await queue.flow([
      { ref: 'fetch', queue: 'crawl', payload: null },
      { ref: 'thumb', queue: 'images', payload: null, dependsOn: ['fetch'] },
      { ref: 'text', queue: 'crawl', payload: null, dependsOn: ['fetch'] },
      { ref: 'index', queue: 'search', payload: null, dependsOn: ['thumb', 'text'] },
    ]);
    const [fetch] = await queue.claim('crawl');
    await queue.complete(fetch as never, null);

    const shown = await runCli(['flow', 'show', flowId], env);
    expect(shown.stderr).toBe('');
    expect(shown.code).toBe(0);
    const lines = shown.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`flow ${flowId}: 4 job(s), 1 waiting, 2 pending, 1 completed`);
    expect(lines[1]).toContain(`✓ ${ids.fetch?.slice(0, 8)}… crawl/default completed`);
    expect(lines[2]).toMatch(/^├─ ○ .* images\/default pending$/);
    expect(lines[3]).toMatch(/^│ {2}└─ … .* search\/default waiting \(waits for 2\)$/);
    expect(lines[4]).toMatch(/^└─ ○ .* crawl\/default pending$/);
    expect(lines[5]).toMatch(/^ {3}└─ .*↑ shown above$/);

    const json = await runCli(['--json', 'flow', 'show', flowId], env);
    const flow = JSON.parse(json.stdout);
    expect(flow).toMatchObject({ id: flowId, finished: false, counts: { completed: 1 } });
    const index = flow.jobs.find((job: { id: string }) => job.id === ids.index);
    expect(index.parents.map((p: { id: string }) => p.id).sort()).toEqual(
      [ids.thumb, ids.text].sort(),
    );
    const root = flow.jobs.find((job: { id: string }) => job.id === ids.fetch);
    expect(root.children.sort()).toEqual([ids.thumb, ids.text].sort());
  });

  test('an unknown id is one line and exit 6 (not found), a malformed one exit 2 (usage)', async () => {
    const unknown = await runCli(['flow', 'show', '0190f0e0-0000-7000-8000-000000000000'], env);
    expect(unknown.code).toBe(6);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toContain('No flow has the id');
    const bad = await runCli(['flow', 'show', 'nope'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Not a flow id');
  });

  test('cancel cancels what has not finished', async () => {
    const { flowId } = await queue.flow([
      { ref: 'a', queue: 'cli-cancel', payload: null },
      { ref: 'b', queue: 'cli-cancel', payload: null, dependsOn: ['a'] },
    ]);
    const run = await runCli(['--json', 'flow', 'cancel', flowId], env);
    expect(JSON.parse(run.stdout)).toEqual({ cancelled: 2 });
    expect((await queue.flows.get(flowId))?.counts.cancelled).toBe(2);
  });
});
