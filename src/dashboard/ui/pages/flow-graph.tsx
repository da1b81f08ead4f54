import dagre from '@dagrejs/dagre';
import { useMemo } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import type { FlowDetail } from '../../api-types.js';
import { links } from '../paths.js';

type FlowJob = FlowDetail['jobs'][number];

const NODE_WIDTH = 184;
const NODE_HEIGHT = 50;
const MAX_LABEL = 24;

interface Layout {
  width: number;
  height: number;
  nodes: { job: FlowJob; x: number; y: number }[];
  edges: { key: string; points: { x: number; y: number }[] }[];
}

/** Lays the flow's DAG out left to right with dagre. */
function layoutFlow(jobs: FlowJob[]): Layout {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: 'LR', nodesep: 20, ranksep: 56, marginx: 8, marginy: 8 });
  graph.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(jobs.map((job) => job.id));
  for (const job of jobs) graph.setNode(job.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const job of jobs) {
    for (const parent of job.parents) {
      if (ids.has(parent.id)) graph.setEdge(parent.id, job.id);
    }
  }
  dagre.layout(graph);
  const size = graph.graph();
  return {
    width: size.width ?? NODE_WIDTH,
    height: size.height ?? NODE_HEIGHT,
    nodes: jobs.map((job) => {
      const node = graph.node(job.id);
      return { job, x: node.x, y: node.y };
    }),
    edges: graph.edges().map((edge) => ({
      key: `${edge.v}->${edge.w}`,
      points: graph.edge(edge).points ?? [],
    })),
  };
}

function shorten(text: string): string {
  return text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text;
}

/** The flow as an SVG graph: one node per job, coloured by state, each linking to its job. */
export function FlowGraph({ jobs }: { jobs: FlowJob[] }) {
  const { route } = useLocation();
  const layout = useMemo(() => layoutFlow(jobs), [jobs]);
  return (
    <div class="flow-graph">
      <svg
        width={layout.width}
        height={layout.height}
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        aria-label={`Flow graph of ${jobs.length} jobs`}
      >
        <defs>
          <marker
            id="flow-arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto"
          >
            <path d="M0,0 L10,5 L0,10 z" class="flow-arrow" />
          </marker>
        </defs>
        {layout.edges.map((edge) => (
          <polyline
            key={edge.key}
            class="flow-edge"
            points={edge.points.map((p) => `${p.x},${p.y}`).join(' ')}
            marker-end="url(#flow-arrow)"
          />
        ))}
        {layout.nodes.map(({ job, x, y }) => {
          const href = links.job(job.id);
          return (
            <a
              key={job.id}
              href={href}
              class={`flow-node node-${job.state}`}
              data-testid={`flow-node-${job.id}`}
              onClick={(event) => {
                if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
                event.preventDefault();
                route(href);
              }}
            >
              <rect
                x={x - NODE_WIDTH / 2}
                y={y - NODE_HEIGHT / 2}
                width={NODE_WIDTH}
                height={NODE_HEIGHT}
                rx={8}
              />
              <text x={x} y={y - 5} text-anchor="middle" class="flow-name">
                {shorten(`${job.queue}/${job.name}`)}
              </text>
              <text x={x} y={y + 14} text-anchor="middle" class="flow-state">
                {`${job.state} · …${job.id.slice(-6)}`}
                {job.attempts > 1 ? ` · ${job.attempts} attempts` : ''}
              </text>
            </a>
          );
        })}
      </svg>
    </div>
  );
}
