import type { JobSummary } from '../../api-types.js';
import { formatRelative, progressPercent } from '../format.js';
import { useNow } from '../hooks.js';
import { links } from '../paths.js';
import { StateBadge } from './state-badge.js';

/** Row selection for bulk actions (dead letters). */
export interface Selection {
  selected: ReadonlySet<string>;
  toggle: (id: string) => void;
  setAll: (ids: string[], on: boolean) => void;
}

/** The time that matters for a job in its state. */
function timeOf(job: JobSummary): { label: string; iso: string | null } {
  switch (job.state) {
    case 'running':
      return { label: 'started', iso: job.startedAt };
    case 'completed':
    case 'dead':
    case 'cancelled':
      return { label: 'finished', iso: job.finishedAt };
    case 'waiting':
      return { label: 'created', iso: job.createdAt };
    default:
      return { label: 'due', iso: job.runAt };
  }
}

/** A list of jobs, each linking to its page; with checkboxes when `selection` is given. */
export function JobTable(props: {
  jobs: JobSummary[];
  caption: string;
  showQueue?: boolean;
  selection?: Selection;
}) {
  const now = useNow(5000);
  const { jobs, selection } = props;
  if (jobs.length === 0) return <p class="empty">No jobs.</p>;
  const ids = jobs.map((job) => job.id);
  const allSelected = selection !== undefined && ids.every((id) => selection.selected.has(id));
  return (
    <div class="table-wrap">
      <table class="table">
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            {selection && (
              <th scope="col" class="check">
                <input
                  type="checkbox"
                  aria-label="Select every job of this page"
                  checked={allSelected}
                  onChange={(event) => selection.setAll(ids, event.currentTarget.checked)}
                />
              </th>
            )}
            <th scope="col">Job</th>
            {props.showQueue && <th scope="col">Queue</th>}
            <th scope="col">Name</th>
            <th scope="col">State</th>
            <th scope="col">Tenant</th>
            <th scope="col" class="num">
              Attempts
            </th>
            <th scope="col">When</th>
            <th scope="col">Last error</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => {
            const time = timeOf(job);
            const percent = job.state === 'running' ? progressPercent(job.progress) : null;
            return (
              <tr key={job.id} data-testid={`job-row-${job.id}`}>
                {selection && (
                  <td class="check">
                    <input
                      type="checkbox"
                      aria-label={`Select job ${job.id}`}
                      checked={selection.selected.has(job.id)}
                      onChange={() => selection.toggle(job.id)}
                    />
                  </td>
                )}
                <th scope="row" class="mono">
                  <a href={links.job(job.id)}>{job.id}</a>
                </th>
                {props.showQueue && (
                  <td>
                    <a href={links.queue(job.queue)}>{job.queue}</a>
                  </td>
                )}
                <td>{job.name}</td>
                <td>
                  <StateBadge state={job.state} />
                  {percent !== null && (
                    <progress class="row-progress" max={100} value={percent} aria-label="Progress">
                      {`${Math.round(percent)}%`}
                    </progress>
                  )}
                </td>
                <td>{job.tenant ?? '–'}</td>
                <td class="num">
                  {job.attempts}/{job.maxAttempts}
                </td>
                <td title={time.iso ?? undefined}>
                  {time.label} {formatRelative(time.iso, now)}
                </td>
                <td class="error-cell">{job.lastError ?? ''}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
