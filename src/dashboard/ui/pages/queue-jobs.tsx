import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import type { JobPage, ListState } from '../../api-types.js';
import { get } from '../api.js';
import { ErrorAlert } from '../components/alert.js';
import { JobTable } from '../components/job-table.js';
import { Pager } from '../components/pager.js';
import { localInputToIso } from '../format.js';
import { useResource, useThrottled } from '../hooks.js';
import { useJobEvents } from '../live.js';
import { links } from '../paths.js';

const LIST_STATES: ListState[] = [
  'pending',
  'scheduled',
  'running',
  'waiting',
  'completed',
  'dead',
  'cancelled',
];
const PAGE_SIZE = 50;

interface Filters {
  name: string;
  tenant: string;
  from: string;
  to: string;
}

function listState(value: string | undefined): ListState {
  return LIST_STATES.find((state) => state === value) ?? 'pending';
}

/**
 * The queue's jobs: state tabs, filters (name, tenant, time range) and keyset pages, all kept in
 * the page's query string; refreshed at most once a second while live events for the queue come.
 */
export function QueueJobs({ queue }: { queue: string }) {
  const { query, route } = useLocation();
  const state = listState(query.state);
  const applied: Filters = {
    name: query.name ?? '',
    tenant: query.tenant ?? '',
    from: query.from ?? '',
    to: query.to ?? '',
  };
  const cursor = query.cursor ?? '';
  const [draft, setDraft] = useState<Filters>(applied);
  const appliedKey = JSON.stringify(applied);
  // Reset the draft when the URL's filters change.
  useEffect(() => setDraft(applied), [appliedKey]);

  const page = useResource(
    (signal) =>
      get<JobPage>(
        `/queues/${encodeURIComponent(queue)}/jobs`,
        {
          state,
          name: applied.name,
          tenant: applied.tenant,
          from: localInputToIso(applied.from),
          to: localInputToIso(applied.to),
          cursor,
          limit: PAGE_SIZE,
        },
        signal,
      ),
    [queue, state, appliedKey, cursor],
  );
  const refresh = useThrottled(page.reload, 1000);
  useJobEvents((event) => {
    if (event.queue === queue && event.type !== 'progress') refresh();
  });

  const go = (next: Partial<Filters & { state: ListState; cursor: string }>) =>
    route(links.queue(queue, { state, ...applied, cursor: '', ...next }));
  const field = (key: keyof Filters, label: string, type: 'text' | 'datetime-local' = 'text') => {
    const common = {
      value: draft[key],
      onInput: (event: { currentTarget: HTMLInputElement }) => {
        const value = event.currentTarget.value;
        setDraft((current) => ({ ...current, [key]: value }));
      },
    };
    return (
      <div class="field">
        <label for={`jobs-filter-${key}`}>{label}</label>
        {type === 'text' ? (
          <input id={`jobs-filter-${key}`} type="text" {...common} />
        ) : (
          <input id={`jobs-filter-${key}`} type="datetime-local" {...common} />
        )}
      </div>
    );
  };

  return (
    <section aria-labelledby="jobs-heading">
      <h2 id="jobs-heading">Jobs</h2>
      <nav class="tabs" aria-label="Job states">
        {LIST_STATES.map((tab) => (
          <a
            key={tab}
            href={links.queue(queue, { state: tab, ...applied })}
            class={tab === state ? 'tab active' : 'tab'}
            aria-current={tab === state ? 'page' : undefined}
            data-testid={`jobs-tab-${tab}`}
          >
            {tab}
          </a>
        ))}
      </nav>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          go(draft);
        }}
      >
        {field('name', 'Job name')}
        {field('tenant', 'Tenant (group)')}
        {field('from', 'From', 'datetime-local')}
        {field('to', 'To', 'datetime-local')}
        <div class="actions">
          <button type="submit" class="button primary">
            Filter
          </button>
          <button
            type="button"
            class="button"
            onClick={() => go({ name: '', tenant: '', from: '', to: '' })}
          >
            Clear
          </button>
        </div>
      </form>
      <ErrorAlert error={page.error} />
      {page.data === null ? (
        page.loading && <p class="muted">Loading…</p>
      ) : (
        <>
          <JobTable jobs={page.data.jobs} caption={`${state} jobs of ${queue}`} />
          <Pager
            onFirstPage={cursor === ''}
            next={page.data.next}
            onFirst={() => go({})}
            onNext={(next) => go({ cursor: next })}
          />
        </>
      )}
    </section>
  );
}
