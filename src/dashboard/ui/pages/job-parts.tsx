/** The sections of the job page. Everything from the job is rendered as text. */
import type { JobDetail, LiveJobEvent } from '../../api-types.js';
import { StateBadge } from '../components/state-badge.js';
import { formatTime, prettyJson, progressPercent } from '../format.js';
import { links } from '../paths.js';

type Job = JobDetail['job'];

/** A JSON value, indented, as the text of a `<pre>`: never parsed as HTML. */
export function JsonBlock({ value, testId }: { value: unknown; testId: string }) {
  return (
    // A long payload scrolls: focusable so that a keyboard can scroll it (axe's
    // scrollable-region-focusable).
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus.
    <pre class="json" data-testid={testId} tabIndex={0}>
      {prettyJson(value)}
    </pre>
  );
}

export function ProgressView({ progress }: { progress: unknown }) {
  if (progress === null || progress === undefined) return null;
  const percent = progressPercent(progress);
  // The bar alone when it is the whole report (a number, or `{ percent }`); else the report too.
  const barSaysAll =
    percent !== null &&
    (typeof progress === 'number' ||
      Object.keys(progress as object).every((key) => key === 'percent'));
  return (
    <section class="panel" aria-labelledby="progress-heading">
      <h2 id="progress-heading">Progress</h2>
      {percent !== null ? (
        <div class="progress-line">
          <progress
            id="job-progress"
            data-testid="job-progress"
            max={100}
            value={percent}
            aria-labelledby="progress-heading"
          >
            {`${Math.round(percent)}%`}
          </progress>
          <span>{`${Math.round(percent * 10) / 10}%`}</span>
        </div>
      ) : null}
      {!barSaysAll && <JsonBlock value={progress} testId="job-progress-json" />}
    </section>
  );
}

export function ExplainView({ explain }: { explain: JobDetail['explain'] }) {
  if (explain === null) return null;
  const { reason, findings } = explain;
  return (
    <section class="panel explain" aria-labelledby="explain-heading" data-testid="job-explain">
      <h2 id="explain-heading">Why it is not running</h2>
      <p>
        <strong>{reason.message}</strong> <code>{reason.code}</code>
        {reason.until && <> until {formatTime(reason.until)}</>}
      </p>
      {findings.length > 1 && (
        <ul>
          {findings.slice(1).map((finding) => (
            <li key={finding.code}>
              {finding.message} <code>{finding.code}</code>
            </li>
          ))}
        </ul>
      )}
      {reason.holders && reason.holders.length > 0 && (
        <p>
          Held by:{' '}
          {reason.holders.map((id) => (
            <a key={id} class="mono holder" href={links.job(id)}>
              {id}
            </a>
          ))}
        </p>
      )}
    </section>
  );
}

export function ErrorHistory({ job }: { job: Job }) {
  const errors = job.errors.length > 0 ? job.errors : job.lastError ? [job.lastError] : [];
  if (errors.length === 0) return null;
  return (
    <section class="panel" aria-labelledby="errors-heading">
      <h2 id="errors-heading">Errors</h2>
      <ol class="errors">
        {errors.map((error) => (
          <li key={`${error.attempt}-${error.at}`}>
            <p>
              <strong>Attempt {error.attempt}</strong> at {formatTime(error.at)}:{' '}
              <span class="mono">{error.name}</span>: {error.message}
              {error.code && <code> {error.code}</code>}
              {!error.retryable && <span class="badge state-dead">not retryable</span>}
            </p>
            {error.stack && <pre class="stack">{error.stack}</pre>}
          </li>
        ))}
      </ol>
    </section>
  );
}

export function LogsView({ job }: { job: Job }) {
  if (job.logs.length === 0) return null;
  return (
    <section class="panel" aria-labelledby="logs-heading">
      <h2 id="logs-heading">Logs</h2>
      <div class="table-wrap">
        <table class="table">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col" class="num">
                Attempt
              </th>
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody>
            {job.logs.map((entry, index) => (
              <tr key={`${entry.at}-${index}`}>
                <td>{formatTime(entry.at)}</td>
                <td class="num">{entry.attempt}</td>
                <td class="log-message">{entry.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

interface TimelineEntry {
  at: string;
  label: string;
  detail?: string;
}

function liveDetail(event: LiveJobEvent): string | undefined {
  switch (event.type) {
    case 'started':
      return `attempt ${event.attempt} by ${event.workerId}`;
    case 'failed':
      return `attempt ${event.attempt}: ${event.error}`;
    case 'retried':
      return event.redriven ? 'redriven' : `due ${formatTime(event.runAt)}`;
    case 'released':
      return `due ${formatTime(event.runAt)}`;
    default:
      return undefined;
  }
}

/** The job's events: from its own timestamps, plus the live events seen since the page opened. */
export function Timeline({ job, live }: { job: Job; live: LiveJobEvent[] }) {
  const entries: TimelineEntry[] = [{ at: job.createdAt, label: 'created' }];
  if (job.runAt !== job.createdAt) entries.push({ at: job.runAt, label: 'due' });
  for (const error of job.errors) {
    entries.push({
      at: error.at,
      label: 'failed',
      detail: `attempt ${error.attempt}: ${error.message}`,
    });
  }
  if (job.startedAt)
    entries.push({ at: job.startedAt, label: 'started', detail: `attempt ${job.attempts}` });
  if (job.finishedAt) entries.push({ at: job.finishedAt, label: job.state });
  for (const event of live) {
    if (event.type === 'progress') continue;
    const detail = liveDetail(event);
    entries.push({ at: event.at, label: `${event.type} (live)`, ...(detail ? { detail } : {}) });
  }
  entries.sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime());
  return (
    <section class="panel" aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Timeline</h2>
      <ol class="timeline" data-testid="job-timeline">
        {entries.map((entry, index) => (
          <li key={`${entry.at}-${entry.label}-${index}`}>
            <time dateTime={entry.at}>{formatTime(entry.at)}</time>
            <StateBadge state={entry.label.replace(' (live)', '')} />
            {entry.label.endsWith('(live)') && <span class="muted">live</span>}
            {entry.detail && <span>{entry.detail}</span>}
          </li>
        ))}
      </ol>
    </section>
  );
}
