import type { WorkerList } from '../../api-types.js';
import { get } from '../api.js';
import { ErrorAlert } from '../components/alert.js';
import { StateBadge } from '../components/state-badge.js';
import { formatRelative, formatTime } from '../format.js';
import { useNow, useResource, useTitle } from '../hooks.js';
import { links } from '../paths.js';

const REFRESH_MS = 5000;

/** `/workers`: the live registry, read again every few seconds. */
export function WorkersPage() {
  useTitle('Workers');
  const now = useNow(REFRESH_MS);
  const list = useResource((signal) => get<WorkerList>('/workers', undefined, signal), [now]);
  const workers = list.data?.workers ?? [];
  return (
    <>
      <div class="page-head">
        <h1>Workers</h1>
      </div>
      <ErrorAlert error={list.error} />
      {list.data === null ? (
        list.loading && <p class="muted">Loading…</p>
      ) : workers.length === 0 ? (
        <p class="empty">No worker has registered.</p>
      ) : (
        <div class="table-wrap">
          <table class="table">
            <caption class="visually-hidden">Workers</caption>
            <thead>
              <tr>
                <th scope="col">Worker</th>
                <th scope="col">Host</th>
                <th scope="col" class="num">
                  PID
                </th>
                <th scope="col">Queues</th>
                <th scope="col" class="num">
                  Running / concurrency
                </th>
                <th scope="col">Version</th>
                <th scope="col">Started</th>
                <th scope="col">Last seen</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {workers.map((worker) => (
                <tr key={worker.id} data-testid={`worker-row-${worker.id}`}>
                  <th scope="row" class="mono">
                    {worker.workerId}
                  </th>
                  <td>{worker.host}</td>
                  <td class="num">{worker.pid}</td>
                  <td>
                    {worker.queues.map((queue, index) => (
                      <span key={queue}>
                        {index > 0 && ', '}
                        <a href={links.queue(queue)}>{queue}</a>
                      </span>
                    ))}
                  </td>
                  <td class="num">
                    {worker.running} / {worker.concurrency}
                  </td>
                  <td>{worker.version}</td>
                  <td title={formatTime(worker.startedAt)}>
                    {formatRelative(worker.startedAt, now)}
                  </td>
                  <td title={formatTime(worker.lastSeenAt)}>
                    {formatRelative(worker.lastSeenAt, now)}
                  </td>
                  <td>
                    <StateBadge state={worker.alive ? 'alive' : 'expired'} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
