import { useState } from 'preact/hooks';
import type { ScheduleAnswer, ScheduleList, ScheduleTriggered } from '../../api-types.js';
import { get, send } from '../api.js';
import { ErrorAlert, Notice } from '../components/alert.js';
import { StateBadge } from '../components/state-badge.js';
import { formatDuration, formatRelative, formatTime } from '../format.js';
import { useAction, useNow, useResource, useThrottled, useTitle } from '../hooks.js';
import { useJobEvents } from '../live.js';
import { links } from '../paths.js';
import { useSession } from '../session.js';

type Schedule = ScheduleList['schedules'][number];
type ScheduleAction = 'pause' | 'resume' | 'trigger';

const DONE: Record<ScheduleAction, string> = {
  pause: 'paused',
  resume: 'resumed',
  trigger: 'triggered',
};

function Timing({ schedule }: { schedule: Schedule }) {
  if (schedule.cron !== null) return <code>{schedule.cron}</code>;
  return <span>every {formatDuration(schedule.everyMs)}</span>;
}

/** `/schedules`: every schedule with its next and last run, and pause, resume and trigger. */
export function SchedulesPage() {
  useTitle('Schedules');
  const { readOnly } = useSession();
  const list = useResource((signal) => get<ScheduleList>('/schedules', undefined, signal), []);
  const refresh = useThrottled(list.reload, 1000);
  useJobEvents((event) => {
    if (event.type === 'schedule' || event.type === 'tick') refresh();
  });
  const action = useAction();
  const [notice, setNotice] = useState<string | null>(null);
  const now = useNow(5000);

  const act = async (schedule: Schedule, kind: ScheduleAction) => {
    setNotice(null);
    const done = await action.run(() =>
      send<ScheduleAnswer | ScheduleTriggered>(
        'POST',
        `/schedules/${encodeURIComponent(schedule.name)}/${kind}`,
      ),
    );
    if (done === undefined) return;
    const sent = 'id' in done && !('name' in done) ? `: job ${done.id}` : '';
    setNotice(`Schedule ${schedule.name} ${DONE[kind]}${sent}.`);
    list.reload();
  };

  const schedules = list.data?.schedules ?? [];
  return (
    <>
      <div class="page-head">
        <h1>Schedules</h1>
      </div>
      <ErrorAlert error={list.error ?? action.error} />
      <Notice message={notice} />
      {list.data === null ? (
        list.loading && <p class="muted">Loading…</p>
      ) : schedules.length === 0 ? (
        <p class="empty">No schedule.</p>
      ) : (
        <div class="table-wrap">
          <table class="table">
            <caption class="visually-hidden">Schedules</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Queue / job</th>
                <th scope="col">Timing</th>
                <th scope="col">Time zone</th>
                <th scope="col">State</th>
                <th scope="col">Next run</th>
                <th scope="col">Last run</th>
                <th scope="col" class="num">
                  Runs
                </th>
                {!readOnly && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {schedules.map((schedule) => (
                <tr key={schedule.name} data-testid={`schedule-row-${schedule.name}`}>
                  <th scope="row">{schedule.name}</th>
                  <td>
                    <a href={links.queue(schedule.queue)}>{schedule.queue}</a> / {schedule.jobName}
                  </td>
                  <td>
                    <Timing schedule={schedule} />
                  </td>
                  <td>{schedule.timezone}</td>
                  <td>
                    <StateBadge state={schedule.state} />
                  </td>
                  <td title={formatTime(schedule.nextRunAt)}>
                    {formatRelative(schedule.nextRunAt, now)}
                  </td>
                  <td>
                    {schedule.lastJob ? (
                      <a
                        href={links.job(schedule.lastJob.id)}
                        title={formatTime(schedule.lastRunAt)}
                      >
                        {formatRelative(schedule.lastRunAt ?? schedule.lastJob.startedAt, now)}
                        {schedule.lastJob.state && ` (${schedule.lastJob.state})`}
                      </a>
                    ) : (
                      formatRelative(schedule.lastRunAt, now)
                    )}
                  </td>
                  <td class="num">{schedule.runs}</td>
                  {!readOnly && (
                    <td class="row-actions">
                      {schedule.state === 'active' && (
                        <button
                          type="button"
                          class="button small"
                          disabled={action.busy}
                          onClick={() => void act(schedule, 'pause')}
                        >
                          Pause <span class="visually-hidden">{schedule.name}</span>
                        </button>
                      )}
                      {schedule.state === 'paused' && (
                        <button
                          type="button"
                          class="button small"
                          disabled={action.busy}
                          onClick={() => void act(schedule, 'resume')}
                        >
                          Resume <span class="visually-hidden">{schedule.name}</span>
                        </button>
                      )}
                      <button
                        type="button"
                        class="button small"
                        disabled={action.busy}
                        onClick={() => void act(schedule, 'trigger')}
                      >
                        Trigger <span class="visually-hidden">{schedule.name}</span>
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
