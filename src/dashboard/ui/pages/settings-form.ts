/** The queue settings form: stored settings to field values and back to a PATCH body. Pure. */
import type { QueueDetail } from '../../api-types.js';

type Settings = QueueDetail['settings'];

/** The form's fields, as typed ('' means unset: the default applies). */
export interface SettingsFields {
  concurrencyLimit: string;
  rateCount: string;
  ratePeriodMs: string;
  fairTenants: boolean;
  completedMs: string;
  deadMs: string;
  cancelledMs: string;
  mode: '' | 'delete' | 'archive';
}

/** What PATCH /queues/:name/settings receives from this form. */
export interface SettingsPatch {
  concurrencyLimit: number | null;
  rateLimit: { count: number; periodMs: number } | null;
  fairTenants: boolean;
  retention: {
    completedMs?: number;
    deadMs?: number;
    cancelledMs?: number;
    mode?: 'delete' | 'archive';
  } | null;
}

function text(value: number | null | undefined): string {
  return value === null || value === undefined ? '' : String(value);
}

export function settingsFields(settings: Settings): SettingsFields {
  return {
    concurrencyLimit: text(settings.concurrencyLimit),
    rateCount: text(settings.rateLimit?.count),
    ratePeriodMs: text(settings.rateLimit?.periodMs),
    fairTenants: settings.fairTenants,
    completedMs: text(settings.retention?.completedMs),
    deadMs: text(settings.retention?.deadMs),
    cancelledMs: text(settings.retention?.cancelledMs),
    mode: settings.retention?.mode ?? '',
  };
}

function positiveInteger(label: string, value: string): number | null {
  const trimmed = value.trim();
  if (trimmed === '') return null;
  const number = Number(trimmed);
  if (!Number.isInteger(number) || number <= 0) {
    throw new Error(`Expected \`${label}\` to be a positive integer, got \`${trimmed}\``);
  }
  return number;
}

/** The PATCH body, or an Error naming the first bad field. */
export function settingsPatch(fields: SettingsFields): SettingsPatch {
  const count = positiveInteger('rateLimit.count', fields.rateCount);
  const periodMs = positiveInteger('rateLimit.periodMs', fields.ratePeriodMs);
  if ((count === null) !== (periodMs === null)) {
    throw new Error('A rate limit needs both a count and a period (or neither).');
  }
  const completedMs = positiveInteger('retention.completedMs', fields.completedMs);
  const deadMs = positiveInteger('retention.deadMs', fields.deadMs);
  const cancelledMs = positiveInteger('retention.cancelledMs', fields.cancelledMs);
  const retention = {
    ...(completedMs !== null ? { completedMs } : {}),
    ...(deadMs !== null ? { deadMs } : {}),
    ...(cancelledMs !== null ? { cancelledMs } : {}),
    ...(fields.mode !== '' ? { mode: fields.mode } : {}),
  };
  return {
    concurrencyLimit: positiveInteger('concurrencyLimit', fields.concurrencyLimit),
    rateLimit: count !== null && periodMs !== null ? { count, periodMs } : null,
    fairTenants: fields.fairTenants,
    retention: Object.keys(retention).length === 0 ? null : retention,
  };
}
