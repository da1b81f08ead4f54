import { useEffect } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import type { SearchResult } from '../../api-types.js';
import { get } from '../api.js';
import { ErrorAlert } from '../components/alert.js';
import { JobTable } from '../components/job-table.js';
import { useResource, useTitle } from '../hooks.js';
import { useOverview } from '../live.js';
import { links, pageHref } from '../paths.js';

const READ_AS: Record<SearchResult['by'], string> = {
  id: 'a job id',
  'idempotency-key': 'an idempotency key',
  payload: 'a payload field',
};

/** `/search?q=&queue=`: one hit opens the job; several are listed. */
export function SearchPage() {
  useTitle('Search');
  const { query, route } = useLocation();
  const q = query.q ?? '';
  const queue = query.queue ?? '';
  const result = useResource(
    (signal) =>
      q === '' ? Promise.resolve(null) : get<SearchResult>('/search', { q, queue }, signal),
    [q, queue],
  );
  const { overview } = useOverview();
  const only = result.data?.jobs.length === 1 ? result.data.jobs[0] : undefined;
  useEffect(() => {
    if (only !== undefined) route(links.job(only.id), true);
  }, [only, route]);

  return (
    <>
      <div class="page-head">
        <h1>Search</h1>
      </div>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget);
          route(
            pageHref('/search', {
              q: String(form.get('q') ?? ''),
              queue: String(form.get('queue') ?? ''),
            }),
          );
        }}
      >
        <label class="field wide">
          <span>Job id, idempotency key, or payload field (path=value)</span>
          <input name="q" type="search" defaultValue={q} key={q} />
        </label>
        <label class="field">
          <span>Queue</span>
          <select name="queue" defaultValue={queue} key={queue}>
            <option value="">every queue</option>
            {(overview?.queues ?? []).map((item) => (
              <option key={item.name} value={item.name}>
                {item.name}
              </option>
            ))}
          </select>
        </label>
        <div class="actions">
          <button type="submit" class="button primary">
            Search
          </button>
        </div>
      </form>
      <ErrorAlert error={result.error} />
      {q !== '' && result.data && (
        <>
          <p class="muted" data-testid="search-summary">
            {result.data.jobs.length === 0
              ? `No job found for “${q}”.`
              : `${result.data.jobs.length} jobs found, reading “${q}” as ${READ_AS[result.data.by]}.`}
          </p>
          {result.data.jobs.length > 1 && (
            <JobTable jobs={result.data.jobs} caption="Jobs found" showQueue />
          )}
        </>
      )}
    </>
  );
}
