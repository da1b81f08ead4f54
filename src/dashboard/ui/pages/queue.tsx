import { useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import type { QueueDetail, QueueOverview } from '../../api-types.js';
import { get, send } from '../api.js';
import { ErrorAlert, Notice } from '../components/alert.js';
import { StateBadge } from '../components/state-badge.js';
import { formatCount, formatDuration, formatNumber } from '../format.js';
import { useAction, useResource, useTitle } from '../hooks.js';
import { useOverview } from '../live.js';
import { links } from '../paths.js';
import { useSession } from '../session.js';
import { COUNT_STATES } from './overview.js';
import { PurgeDialog } from './purge-dialog.js';
import { QueueJobs } from './queue-jobs.js';
import { QueueSettings } from './queue-settings.js';

function Counts({ queue }: { queue: QueueOverview }) {
  return (
    <dl class="stats">
      {COUNT_STATES.map((state) => (
        <div class="stat" key={state}>
          <dt>{state}</dt>
          <dd data-testid={`count-${queue.name}-${state}`}>{formatCount(queue.counts[state])}</dd>
        </div>
      ))}
      <div class="stat">
        <dt>oldest pending</dt>
        <dd>{formatDuration(queue.oldestPendingAgeMs)}</dd>
      </div>
      <div class="stat">
        <dt>latency p50</dt>
        <dd>{formatDuration(queue.latency?.p50)}</dd>
      </div>
      <div class="stat">
        <dt>latency p99</dt>
        <dd>{formatDuration(queue.latency?.p99)}</dd>
      </div>
      <div class="stat">
        <dt>workers</dt>
        <dd>{formatNumber(queue.workers)}</dd>
      </div>
    </dl>
  );
}

/** `/queues/:name`: live counts, settings, pause/resume, purge and the job list. */
export function QueuePage() {
  const name = useRoute().params.name ?? '';
  useTitle(`Queue ${name}`);
  const { readOnly } = useSession();
  const path = `/queues/${encodeURIComponent(name)}`;
  const detail = useResource((signal) => get<QueueDetail>(path, undefined, signal), [path]);
  const [updated, setUpdated] = useState<QueueDetail | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [purges, setPurges] = useState(0);
  const action = useAction();
  const { overview } = useOverview();

  const loaded = detail.data?.settings.name === name ? detail.data : null;
  const current = updated?.settings.name === name ? updated : loaded;
  const live = overview?.queues.find((queue) => queue.name === name);
  const stats = live ?? current?.overview;
  const paused = stats?.paused ?? current?.settings.paused ?? false;

  const toggle = async () => {
    setNotice(null);
    const next = await action.run(() =>
      send<QueueDetail>('POST', `${path}/${paused ? 'resume' : 'pause'}`),
    );
    if (next !== undefined) {
      setUpdated(next);
      setNotice(next.settings.paused ? 'Queue paused.' : 'Queue resumed.');
    }
  };

  return (
    <>
      <div class="page-head">
        <h1>
          Queue <span class="mono">{name}</span>
        </h1>
        {stats && <StateBadge state={paused ? 'paused' : 'active'} testId="queue-status" />}
        {!readOnly && current && (
          <div class="actions">
            <button
              type="button"
              class="button"
              data-testid={paused ? 'queue-resume' : 'queue-pause'}
              disabled={action.busy}
              onClick={() => void toggle()}
            >
              {paused ? 'Resume' : 'Pause'}
            </button>
            <PurgeDialog
              queue={name}
              onPurged={(deleted) => {
                setNotice(`Purged ${formatNumber(deleted)} jobs.`);
                setPurges((n) => n + 1);
                setUpdated(null);
                detail.reload();
              }}
            />
          </div>
        )}
      </div>
      <p class="muted">
        <a href={links.dead({ queue: name })}>Dead letters of this queue</a>
      </p>
      <ErrorAlert error={detail.error ?? action.error} />
      <Notice message={notice} />
      {stats && <Counts queue={stats} />}
      {current && (
        <section class="panel" aria-labelledby="settings-heading">
          <h2 id="settings-heading">Settings</h2>
          <QueueSettings detail={current} onSaved={setUpdated} />
        </section>
      )}
      <QueueJobs key={`${name}/${purges}`} queue={name} />
    </>
  );
}
