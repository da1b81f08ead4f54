import { useLocation } from 'preact-iso';
import type { FlowList } from '../../api-types.js';
import { get } from '../api.js';
import { ErrorAlert } from '../components/alert.js';
import { Pager } from '../components/pager.js';
import { StateBadge } from '../components/state-badge.js';
import { formatRelative, formatTime } from '../format.js';
import { useNow, useResource, useTitle } from '../hooks.js';
import { links } from '../paths.js';

/** `/flows`: recent flows, newest first, a page at a time. */
export function FlowsPage() {
  useTitle('Flows');
  const { query, route } = useLocation();
  const cursor = query.cursor ?? '';
  const list = useResource((signal) => get<FlowList>('/flows', { cursor }, signal), [cursor]);
  const now = useNow(5000);
  const flows = list.data?.flows ?? [];
  return (
    <>
      <div class="page-head">
        <h1>Flows</h1>
      </div>
      <ErrorAlert error={list.error} />
      {list.data === null ? (
        list.loading && <p class="muted">Loading…</p>
      ) : flows.length === 0 ? (
        <p class="empty">No flow.</p>
      ) : (
        <>
          <div class="table-wrap">
            <table class="table">
              <caption class="visually-hidden">Flows</caption>
              <thead>
                <tr>
                  <th scope="col">Flow</th>
                  <th scope="col">Created</th>
                  <th scope="col" class="num">
                    Jobs
                  </th>
                  <th scope="col">States</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {flows.map((flow) => (
                  <tr key={flow.id} data-testid={`flow-row-${flow.id}`}>
                    <th scope="row" class="mono">
                      <a href={links.flow(flow.id)}>{flow.id}</a>
                    </th>
                    <td title={formatTime(flow.createdAt)}>
                      {formatRelative(flow.createdAt, now)}
                    </td>
                    <td class="num">{flow.jobs}</td>
                    <td class="state-counts">
                      {Object.entries(flow.counts).map(([state, count]) => (
                        <span key={state}>
                          <StateBadge state={state} /> {count}
                        </span>
                      ))}
                    </td>
                    <td>
                      <StateBadge state={flow.finished ? 'finished' : 'active'} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            onFirstPage={cursor === ''}
            next={list.data.next}
            onFirst={() => route(links.flows())}
            onNext={(next) => route(links.flows({ cursor: next }))}
          />
        </>
      )}
    </>
  );
}
