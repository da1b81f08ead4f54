import { useEffect, useState } from 'preact/hooks';
import type { QueueDetail } from '../../api-types.js';
import { send } from '../api.js';
import { ErrorAlert, Notice } from '../components/alert.js';
import { formatDuration } from '../format.js';
import { useAction } from '../hooks.js';
import { useSession } from '../session.js';
import { type SettingsFields, settingsFields, settingsPatch } from './settings-form.js';

type Settings = QueueDetail['settings'];

function orDefault(value: string): string {
  return value === '' ? 'default' : value;
}

/** The settings as a list, for a read-only dashboard. */
function SettingsList({ settings }: { settings: Settings }) {
  const rate = settings.rateLimit;
  const retention = settings.retention;
  return (
    <dl class="settings-list">
      <dt>Concurrency limit</dt>
      <dd>{settings.concurrencyLimit ?? 'none'}</dd>
      <dt>Rate limit</dt>
      <dd>{rate ? `${rate.count} per ${formatDuration(rate.periodMs)}` : 'none'}</dd>
      <dt>Fair tenants</dt>
      <dd>{settings.fairTenants ? 'yes' : 'no'}</dd>
      <dt>Retention</dt>
      <dd>
        {retention
          ? `completed ${formatDuration(retention.completedMs ?? null)}, dead ${formatDuration(
              retention.deadMs ?? null,
            )}, cancelled ${formatDuration(retention.cancelledMs ?? null)}, ${orDefault(
              retention.mode ?? '',
            )} mode`
          : 'default'}
      </dd>
    </dl>
  );
}

function NumberField(props: {
  label: string;
  hint?: string;
  value: string;
  onInput: (value: string) => void;
}) {
  return (
    <label class="field">
      <span>{props.label}</span>
      <input
        type="number"
        min={1}
        step={1}
        inputMode="numeric"
        placeholder={props.hint ?? 'default'}
        value={props.value}
        onInput={(event) => props.onInput(event.currentTarget.value)}
      />
    </label>
  );
}

/** The queue's settings: an editable form (PATCH), or a plain list when read-only. */
export function QueueSettings(props: {
  detail: QueueDetail;
  onSaved: (detail: QueueDetail) => void;
}) {
  const { readOnly } = useSession();
  const { settings } = props.detail;
  const [fields, setFields] = useState<SettingsFields>(() => settingsFields(settings));
  const [saved, setSaved] = useState<string | null>(null);
  const action = useAction();
  useEffect(() => setFields(settingsFields(settings)), [settings]);

  if (readOnly) return <SettingsList settings={settings} />;
  const set = <K extends keyof SettingsFields>(key: K, value: SettingsFields[K]) => {
    setSaved(null);
    setFields((current) => ({ ...current, [key]: value }));
  };
  const save = async () => {
    const detail = await action.run(() =>
      send<QueueDetail>(
        'PATCH',
        `/queues/${encodeURIComponent(settings.name)}/settings`,
        settingsPatch(fields),
      ),
    );
    if (detail !== undefined) {
      setSaved('Settings saved.');
      props.onSaved(detail);
    }
  };
  return (
    <form
      class="settings-form"
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
    >
      <fieldset>
        <legend>Limits</legend>
        <NumberField
          label="Concurrency limit"
          hint="none"
          value={fields.concurrencyLimit}
          onInput={(v) => set('concurrencyLimit', v)}
        />
        <NumberField
          label="Rate limit: jobs"
          hint="none"
          value={fields.rateCount}
          onInput={(v) => set('rateCount', v)}
        />
        <NumberField
          label="Rate limit: per period (ms)"
          hint="none"
          value={fields.ratePeriodMs}
          onInput={(v) => set('ratePeriodMs', v)}
        />
        <label class="field checkbox">
          <input
            type="checkbox"
            checked={fields.fairTenants}
            onChange={(event) => set('fairTenants', event.currentTarget.checked)}
          />
          <span>Fair tenants (serve groups in turn)</span>
        </label>
      </fieldset>
      <fieldset>
        <legend>Retention</legend>
        <NumberField
          label="Keep completed (ms)"
          value={fields.completedMs}
          onInput={(v) => set('completedMs', v)}
        />
        <NumberField
          label="Keep dead (ms)"
          value={fields.deadMs}
          onInput={(v) => set('deadMs', v)}
        />
        <NumberField
          label="Keep cancelled (ms)"
          value={fields.cancelledMs}
          onInput={(v) => set('cancelledMs', v)}
        />
        <label class="field">
          <span>Pruned jobs are</span>
          <select
            value={fields.mode}
            onChange={(event) => set('mode', event.currentTarget.value as SettingsFields['mode'])}
          >
            <option value="">default</option>
            <option value="delete">deleted</option>
            <option value="archive">archived</option>
          </select>
        </label>
      </fieldset>
      <ErrorAlert error={action.error} />
      <Notice message={saved} />
      <div class="actions">
        <button
          type="submit"
          class="button primary"
          data-testid="settings-save"
          disabled={action.busy}
        >
          Save settings
        </button>
      </div>
    </form>
  );
}
