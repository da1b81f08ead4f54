import type { CountState, LiveJobEvent, QueueOverview } from '../../api-types.js';
import { ErrorAlert } from '../components/alert.js';
import { StateBadge } from '../components/state-badge.js';
import { TimeChart } from '../components/time-chart.js';
import { formatCount, formatDuration, formatTime } from '../format.js';
import { useTitle } from '../hooks.js';
import { useOverview, useRecentActivity } from '../live.js';
import { links } from '../paths.js';
import { formatRate, overviewCharts } from './overview-charts.js';

/** The count columns, in the order a job usually moves through them. */
export const COUNT_STATES: CountState[] = [
  'waiting',
  'scheduled',
  'pending',
  'running',
  'completed',
  'dead',
  'cancelled',
];

function QueueRow({ queue }: { queue: QueueOverview }) {
  return (
    <tr data-testid={`queue-row-${queue.name}`}>
      <th scope="row">
        <a href={links.queue(queue.name)}>{queue.name}</a>
      </th>
      <td>{queue.paused ? <StateBadge state="paused" /> : <StateBadge state="active" />}</td>
      {COUNT_STATES.map((state) => (
        <td class="num" key={state} data-testid={`count-${queue.name}-${state}`}>
          {formatCount(queue.counts[state])}
        </td>
      ))}
      <td class="num">{formatDuration(queue.oldestPendingAgeMs)}</td>
      <td class="num">{formatDuration(queue.latency?.p50)}</td>
      <td class="num">{formatDuration(queue.latency?.p99)}</td>
      <td class="num">{queue.workers}</td>
    </tr>
  );
}

function QueueTable({ queues }: { queues: QueueOverview[] }) {
  if (queues.length === 0) return <p class="empty">No queue yet: send a job to create one.</p>;
  return (
    <div class="table-wrap">
      <table class="table">
        <caption class="visually-hidden">Queues, with jobs per state</caption>
        <thead>
          <tr>
            <th scope="col">Queue</th>
            <th scope="col">Status</th>
            {COUNT_STATES.map((state) => (
              <th scope="col" class="num cap" key={state}>
                {state}
              </th>
            ))}
            <th scope="col" class="num">
              Oldest pending
            </th>
            <th scope="col" class="num">
              Latency p50
            </th>
            <th scope="col" class="num">
              Latency p99
            </th>
            <th scope="col" class="num">
              Workers
            </th>
          </tr>
        </thead>
        <tbody>
          {queues.map((queue) => (
            <QueueRow key={queue.name} queue={queue} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function eventHref(event: LiveJobEvent): string {
  return event.type === 'schedule' ? links.schedules() : links.job(event.id);
}

function RecentActivity() {
  const events = useRecentActivity();
  return (
    <section class="panel" aria-labelledby="recent-heading">
      <h2 id="recent-heading">Recent activity</h2>
      {events.length === 0 ? (
        <p class="empty">Nothing yet: job events appear here as they happen.</p>
      ) : (
        <ul class="activity">
          {events.map((event, index) => (
            <li key={`${event.id}-${event.type}-${event.at}-${index}`}>
              <time dateTime={event.at}>{formatTime(event.at)}</time>
              <StateBadge state={event.type} />
              <a href={links.queue(event.queue)}>{event.queue}</a>
              <a class="mono" href={eventHref(event)}>
                {event.id}
              </a>
              {event.type === 'failed' && <span class="error-cell">{event.error}</span>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** `/`: every queue, live, with throughput and failure charts and recent activity. */
export function OverviewPage() {
  useTitle('Overview');
  const { overview, error } = useOverview();
  const charts = overview === null ? null : overviewCharts(overview.series);
  return (
    <>
      <div class="page-head">
        <h1>Overview</h1>
        {overview && (
          <p class="muted">
            Read at <time dateTime={overview.at}>{formatTime(overview.at)}</time>
          </p>
        )}
      </div>
      <ErrorAlert error={error} />
      {overview === null ? (
        !error && <p class="muted">Loading…</p>
      ) : (
        <>
          <section aria-labelledby="queues-heading">
            <h2 id="queues-heading">Queues</h2>
            <QueueTable queues={overview.queues} />
          </section>
          {charts && (
            <div class="charts">
              <TimeChart
                title="Throughput (jobs completed per second)"
                times={charts.times}
                series={charts.throughput}
                unit="jobs/s"
                format={formatRate}
              />
              <TimeChart
                title="Failure rate (failed attempts, % of finished attempts)"
                times={charts.times}
                series={charts.failureRate}
                unit="%"
                format={(value) => `${formatRate(value)}%`}
              />
            </div>
          )}
          <RecentActivity />
        </>
      )}
    </>
  );
}
