import { useRoute } from 'preact-iso';
import type { FlowDetail } from '../../api-types.js';
import { get } from '../api.js';
import { ErrorAlert } from '../components/alert.js';
import { StateBadge } from '../components/state-badge.js';
import { useResource, useThrottled, useTitle } from '../hooks.js';
import { useJobEvents } from '../live.js';
import { links } from '../paths.js';
import { FlowGraph } from './flow-graph.js';

function FlowJobs({ flow }: { flow: FlowDetail }) {
  return (
    <div class="table-wrap">
      <table class="table">
        <caption class="visually-hidden">Jobs of the flow</caption>
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col">Queue / name</th>
            <th scope="col">State</th>
            <th scope="col" class="num">
              Attempts
            </th>
            <th scope="col" class="num">
              Parents
            </th>
            <th scope="col">Error</th>
          </tr>
        </thead>
        <tbody>
          {flow.jobs.map((job) => (
            <tr key={job.id}>
              <th scope="row" class="mono">
                <a href={links.job(job.id)}>{job.id}</a>
              </th>
              <td>
                <a href={links.queue(job.queue)}>{job.queue}</a> / {job.name}
              </td>
              <td>
                <StateBadge state={job.state} />
              </td>
              <td class="num">{job.attempts}</td>
              <td class="num">
                {job.parents.length}
                {job.waitingParents > 0 && ` (${job.waitingParents} waiting)`}
              </td>
              <td class="error-cell">{job.error ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** `/flows/:id`: the flow's DAG with each job's state, live. */
export function FlowPage() {
  const id = useRoute().params.id ?? '';
  useTitle(`Flow ${id}`);
  const flow = useResource(
    (signal) => get<FlowDetail>(`/flows/${encodeURIComponent(id)}`, undefined, signal),
    [id],
  );
  const refresh = useThrottled(flow.reload, 1000);
  useJobEvents((event) => {
    if (event.flowId === id && event.type !== 'progress') refresh();
  });
  const data = flow.data?.id === id ? flow.data : null;
  return (
    <>
      <div class="page-head">
        <h1>
          Flow <span class="mono">{id}</span>
        </h1>
        {data && <StateBadge state={data.finished ? 'finished' : 'active'} />}
      </div>
      <ErrorAlert error={flow.error} />
      {data === null ? (
        flow.loading && <p class="muted">Loading…</p>
      ) : (
        <>
          <section class="panel" aria-labelledby="graph-heading">
            <h2 id="graph-heading">Graph</h2>
            <FlowGraph jobs={data.jobs} />
          </section>
          <section aria-labelledby="flow-jobs-heading">
            <h2 id="flow-jobs-heading">Jobs</h2>
            <FlowJobs flow={data} />
          </section>
        </>
      )}
    </>
  );
}
