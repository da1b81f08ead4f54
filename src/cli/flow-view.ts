import type { FlowInfo, FlowJob } from '../admin/flows.js';
import type { JobState } from '../kernel/types.js';

const SYMBOL: Readonly<Record<JobState, string>> = {
  waiting: '…',
  pending: '○',
  running: '●',
  completed: '✓',
  dead: '✗',
  cancelled: '⊘',
};

/** One job's line: state, short id, queue and name, and what it waits for or why it stopped. */
function label(job: FlowJob): string {
  const waits = job.state === 'waiting' ? ` (waits for ${job.waitingParents})` : '';
  const error = job.error === null || job.state === 'completed' ? '' : ` — ${job.error}`;
  return `${SYMBOL[job.state]} ${job.id.slice(0, 8)}… ${job.queue}/${job.name} ${job.state}${waits}${error}`;
}

/**
 * Draws a flow as a tree in the terminal: from each root (a job without parents in the flow), its
 * children below it. A job with several parents is drawn under the first and pointed at from the
 * others (`↑ shown above`); a chain (one child of one parent) continues at the same indentation,
 * so a long chain stays narrow. Pure, for `pgpulse flow show`.
 */
export function renderFlow(flow: FlowInfo): string {
  const byId = new Map(flow.jobs.map((job) => [job.id, job]));
  const counts = Object.entries(flow.counts)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${n} ${state}`)
    .join(', ');
  const lines = [
    `flow ${flow.id}: ${flow.jobs.length} job(s), ${counts}${flow.finished ? ' (finished)' : ''}`,
  ];
  const drawn = new Set<string>();
  const roots = flow.jobs.filter((job) => !job.parents.some((p) => byId.has(p.id)));
  // An explicit stack (no recursion): a flow may be 100,000 jobs deep.
  const stack: { id: string; prefix: string; branch: string }[] = roots
    .map((job) => ({ id: job.id, prefix: '', branch: '' }))
    .reverse();
  while (stack.length > 0) {
    const { id, prefix, branch } = stack.pop() as { id: string; prefix: string; branch: string };
    const job = byId.get(id) as FlowJob;
    if (drawn.has(id)) {
      lines.push(`${prefix}${branch}${job.id.slice(0, 8)}… ↑ shown above`);
      continue;
    }
    drawn.add(id);
    const outside = job.parents.filter((p) => !byId.has(p.id)).map((p) => `${p.id.slice(0, 8)}…`);
    const after = outside.length === 0 ? '' : ` (after ${outside.join(', ')} outside the flow)`;
    lines.push(`${prefix}${branch}${label(job)}${after}`);
    const childPrefix = prefix + (branch === '├─ ' ? '│  ' : branch === '' ? '' : '   ');
    const [only] = job.children;
    if (job.children.length === 1 && only !== undefined && byId.get(only)?.parents.length === 1) {
      stack.push({ id: only, prefix: childPrefix, branch: '' });
      continue;
    }
    job.children
      .map((child, i) => ({
        id: child,
        prefix: childPrefix,
        branch: i === job.children.length - 1 ? '└─ ' : '├─ ',
      }))
      .reverse()
      .forEach((entry) => {
        stack.push(entry);
      });
  }
  return lines.join('\n');
}
