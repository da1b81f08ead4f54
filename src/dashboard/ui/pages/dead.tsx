import { useCallback, useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import type { JobPage, RedriveRequest } from '../../api-types.js';
import { get, send } from '../api.js';
import { ErrorAlert, Notice } from '../components/alert.js';
import { Dialog } from '../components/dialog.js';
import { JobTable, type Selection } from '../components/job-table.js';
import { Pager } from '../components/pager.js';
import { formatNumber } from '../format.js';
import { useAction, useResource, useThrottled, useTitle } from '../hooks.js';
import { useJobEvents, useOverview } from '../live.js';
import { links } from '../paths.js';
import { useSession } from '../session.js';

function useSelection(): Selection & { clear: () => void } {
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const clear = useCallback(() => setSelected(new Set()), []);
  return {
    selected,
    toggle: (id) =>
      setSelected((current) => {
        const next = new Set(current);
        if (!next.delete(id)) next.add(id);
        return next;
      }),
    setAll: (ids, on) =>
      setSelected((current) => {
        const next = new Set(current);
        for (const id of ids) {
          if (on) next.add(id);
          else next.delete(id);
        }
        return next;
      }),
    clear,
  };
}

/** `/dead`: dead letters of every queue (or one), with bulk redrive. */
export function DeadPage() {
  useTitle('Dead letters');
  const { query, route } = useLocation();
  const { readOnly } = useSession();
  const queue = query.queue ?? '';
  const cursor = query.cursor ?? '';
  const page = useResource(
    (signal) => get<JobPage>('/dead', { queue, cursor, limit: 50 }, signal),
    [queue, cursor],
  );
  const refresh = useThrottled(page.reload, 1000);
  useJobEvents((event) => {
    if (
      (queue === '' || event.queue === queue) &&
      (event.type === 'dead' || event.type === 'retried')
    )
      refresh();
  });
  const { overview } = useOverview();
  const queueNames = (overview?.queues ?? []).map((q) => q.name);
  if (queue !== '' && !queueNames.includes(queue)) queueNames.push(queue);
  const selection = useSelection();
  const { clear } = selection;
  // A selection is of the page on screen.
  useEffect(() => clear(), [queue, cursor, clear]);
  const action = useAction();
  const [notice, setNotice] = useState<string | null>(null);
  const [confirmAll, setConfirmAll] = useState(false);

  const redrive = async (requests: RedriveRequest[]) => {
    setNotice(null);
    const results = await action.run(() =>
      Promise.all(
        requests.map((request) => send<{ redriven: string[] }>('POST', '/dead/redrive', request)),
      ),
    );
    setConfirmAll(false);
    if (results === undefined) return;
    const count = results.reduce((sum, result) => sum + result.redriven.length, 0);
    setNotice(`Redrove ${formatNumber(count)} ${count === 1 ? 'job' : 'jobs'}.`);
    selection.clear();
    page.reload();
  };
  const redriveSelected = () => {
    const byQueue = new Map<string, string[]>();
    for (const job of page.data?.jobs ?? []) {
      if (!selection.selected.has(job.id)) continue;
      byQueue.set(job.queue, [...(byQueue.get(job.queue) ?? []), job.id]);
    }
    void redrive([...byQueue].map(([name, ids]) => ({ queue: name, ids })));
  };

  return (
    <>
      <div class="page-head">
        <h1>Dead letters</h1>
      </div>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <label class="field">
          <span>Queue</span>
          <select
            value={queue}
            onChange={(event) => route(links.dead({ queue: event.currentTarget.value }))}
          >
            <option value="">every queue</option>
            {queueNames.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        {!readOnly && (
          <div class="actions">
            <button
              type="button"
              class="button primary"
              data-testid="dead-redrive-selected"
              disabled={selection.selected.size === 0 || action.busy}
              onClick={redriveSelected}
            >
              Redrive selected ({selection.selected.size})
            </button>
            {queue !== '' && (
              <button
                type="button"
                class="button"
                data-testid="dead-redrive-all"
                disabled={action.busy}
                onClick={() => setConfirmAll(true)}
              >
                Redrive all of {queue}…
              </button>
            )}
          </div>
        )}
      </form>
      <ErrorAlert error={page.error ?? action.error} />
      <Notice message={notice} />
      {page.data === null ? (
        page.loading && <p class="muted">Loading…</p>
      ) : (
        <>
          <JobTable
            jobs={page.data.jobs}
            caption="Dead jobs"
            showQueue
            {...(readOnly ? {} : { selection })}
          />
          <Pager
            onFirstPage={cursor === ''}
            next={page.data.next}
            onFirst={() => route(links.dead({ queue }))}
            onNext={(next) => route(links.dead({ queue, cursor: next }))}
          />
        </>
      )}
      {!readOnly && (
        <Dialog
          open={confirmAll}
          title={`Redrive every dead job of ${queue}?`}
          onClose={() => setConfirmAll(false)}
        >
          <p>Every dead job of {queue} goes back to pending with fresh attempts.</p>
          <div class="actions">
            <button type="button" class="button" onClick={() => setConfirmAll(false)}>
              Not now
            </button>
            <button
              type="button"
              class="button primary"
              data-testid="dead-redrive-all-confirm"
              disabled={action.busy}
              onClick={() => void redrive([{ queue }])}
            >
              Redrive all
            </button>
          </div>
        </Dialog>
      )}
    </>
  );
}
