import { useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import type { JobDetail, LiveJobEvent } from '../../api-types.js';
import { get, send } from '../api.js';
import { ErrorAlert, Notice } from '../components/alert.js';
import { Dialog } from '../components/dialog.js';
import { StateBadge } from '../components/state-badge.js';
import { formatTime } from '../format.js';
import { useAction, useResource, useThrottled, useTitle } from '../hooks.js';
import { useJobEvents } from '../live.js';
import { links } from '../paths.js';
import { useSession } from '../session.js';
import {
  ErrorHistory,
  ExplainView,
  JsonBlock,
  LogsView,
  ProgressView,
  Timeline,
} from './job-parts.js';

type Job = JobDetail['job'];

function Facts({ job }: { job: Job }) {
  return (
    <dl class="facts">
      <dt>Queue</dt>
      <dd>
        <a href={links.queue(job.queue)}>{job.queue}</a>
      </dd>
      <dt>Name</dt>
      <dd>{job.name}</dd>
      <dt>State</dt>
      <dd>
        <StateBadge state={job.state} testId="job-state" />
      </dd>
      <dt>Attempts</dt>
      <dd>
        {job.attempts} of {job.maxAttempts}
      </dd>
      <dt>Priority</dt>
      <dd>{job.priority}</dd>
      <dt>Tenant</dt>
      <dd>{job.tenant ?? '–'}</dd>
      <dt>Due</dt>
      <dd>{formatTime(job.runAt)}</dd>
      <dt>Created</dt>
      <dd>{formatTime(job.createdAt)}</dd>
      <dt>Started</dt>
      <dd>{formatTime(job.startedAt)}</dd>
      <dt>Finished</dt>
      <dd>{formatTime(job.finishedAt)}</dd>
      <dt>Worker</dt>
      <dd class="mono">{job.workerId ?? '–'}</dd>
      <dt>Idempotency key</dt>
      <dd class="mono">{job.idempotencyKey ?? '–'}</dd>
      {job.flowId && (
        <>
          <dt>Flow</dt>
          <dd>
            <a class="mono" href={links.flow(job.flowId)}>
              {job.flowId}
            </a>
          </dd>
        </>
      )}
      {job.schedule && (
        <>
          <dt>Schedule</dt>
          <dd>
            <a href={links.schedules()}>{job.schedule}</a>
          </dd>
        </>
      )}
      {job.archived && (
        <>
          <dt>Archived</dt>
          <dd>yes</dd>
        </>
      )}
    </dl>
  );
}

/** Retry, cancel and delete (with a confirmation), only those the job allows now. */
function JobActions(props: {
  detail: JobDetail;
  onDone: (message: string, deleted: boolean) => void;
}) {
  const { readOnly } = useSession();
  const [confirming, setConfirming] = useState(false);
  const action = useAction();
  const { job, actions } = props.detail;
  if (readOnly || !(actions.retry || actions.cancel || actions.delete)) return null;
  const path = `/jobs/${encodeURIComponent(job.id)}`;
  const act = async (kind: 'retry' | 'cancel' | 'delete') => {
    const result = await action.run<unknown>(() =>
      kind === 'delete'
        ? send<{ deleted: true }>('DELETE', path)
        : send<JobDetail>('POST', `${path}/${kind}`),
    );
    if (result === undefined) return;
    setConfirming(false);
    const done = {
      retry: 'Job sent back to pending.',
      cancel: 'Job cancelled.',
      delete: 'Job deleted.',
    };
    props.onDone(done[kind], kind === 'delete');
  };
  return (
    <div class="actions">
      {actions.retry && (
        <button
          type="button"
          class="button primary"
          data-testid="job-action-retry"
          disabled={action.busy}
          onClick={() => void act('retry')}
        >
          Retry
        </button>
      )}
      {actions.cancel && (
        <button
          type="button"
          class="button"
          data-testid="job-action-cancel"
          disabled={action.busy}
          onClick={() => void act('cancel')}
        >
          Cancel job
        </button>
      )}
      {actions.delete && (
        <button
          type="button"
          class="button danger"
          data-testid="job-action-delete"
          disabled={action.busy}
          onClick={() => setConfirming(true)}
        >
          Delete…
        </button>
      )}
      <ErrorAlert error={action.error} />
      <Dialog open={confirming} title="Delete this job?" onClose={() => setConfirming(false)}>
        <p>
          Job <span class="mono">{job.id}</span> of <strong>{job.queue}</strong> will be deleted for
          good.
        </p>
        <div class="actions">
          <button type="button" class="button" onClick={() => setConfirming(false)}>
            Keep it
          </button>
          <button
            type="button"
            class="button danger"
            data-testid="job-delete-confirm"
            disabled={action.busy}
            onClick={() => void act('delete')}
          >
            Delete job
          </button>
        </div>
      </Dialog>
    </div>
  );
}

/** `/jobs/:id`: everything about one job, live. */
export function JobPage() {
  const id = useRoute().params.id ?? '';
  useTitle(`Job ${id}`);
  const detail = useResource(
    (signal) => get<JobDetail>(`/jobs/${encodeURIComponent(id)}`, undefined, signal),
    [id],
  );
  const [live, setLive] = useState<LiveJobEvent[]>([]);
  const [progress, setProgress] = useState<{ id: string; value: unknown } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [deleted, setDeleted] = useState(false);
  const refresh = useThrottled(detail.reload, 500);
  useJobEvents((event) => {
    if (event.id !== id || event.type === 'schedule') return;
    if (event.type === 'progress') {
      setProgress({ id, value: event.progress });
      return;
    }
    setLive((events) => [...events, event]);
    refresh();
  });

  const job = detail.data?.job.id === id ? detail.data.job : null;
  const currentProgress = progress?.id === id ? progress.value : job?.progress;
  return (
    <>
      <div class="page-head">
        <h1>
          Job <span class="mono">{id}</span>
        </h1>
        {job && !deleted && detail.data && (
          <JobActions
            detail={detail.data}
            onDone={(message, wasDeleted) => {
              setNotice(message);
              if (wasDeleted) setDeleted(true);
              else detail.reload();
            }}
          />
        )}
      </div>
      <Notice message={notice} />
      {deleted ? (
        job && (
          <p>
            Back to <a href={links.queue(job.queue)}>queue {job.queue}</a>.
          </p>
        )
      ) : (
        <>
          <ErrorAlert error={detail.error} />
          {job === null ? (
            detail.loading && <p class="muted">Loading…</p>
          ) : (
            <>
              <Facts job={job} />
              {job.state !== 'running' && <ExplainView explain={detail.data?.explain ?? null} />}
              <ProgressView progress={currentProgress} />
              <div class="two-columns">
                <section class="panel" aria-labelledby="payload-heading">
                  <h2 id="payload-heading">Payload</h2>
                  <JsonBlock value={job.payload} testId="job-payload" />
                </section>
                <section class="panel" aria-labelledby="result-heading">
                  <h2 id="result-heading">Result</h2>
                  <JsonBlock value={job.result} testId="job-result" />
                </section>
              </div>
              <ErrorHistory job={job} />
              <LogsView job={job} />
              <Timeline job={job} live={live.filter((event) => event.id === id)} />
            </>
          )}
        </>
      )}
    </>
  );
}
