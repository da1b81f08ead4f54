/** How values are written on the page. Pure functions. */
import type { Count } from '../api-types.js';

const numberFormat = new Intl.NumberFormat('en');

export function formatNumber(value: number): string {
  return numberFormat.format(value);
}

/** A count, marked "≈" when it is the planner's estimate. */
export function formatCount(count: Count | undefined): string {
  if (count === undefined) return '–';
  return `${count.estimated ? '≈' : ''}${formatNumber(count.value)}`;
}

/** A duration in ms, in the largest units that keep it short: "850 ms", "4.2 s", "3 min 5 s". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(ms)} ms`;
  if (abs < 60_000) return `${Number((ms / 1000).toFixed(1))} s`;
  const seconds = Math.round(abs / 1000);
  const sign = ms < 0 ? '-' : '';
  if (seconds < 3600) return `${sign}${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  if (seconds < 86_400) {
    return `${sign}${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  }
  return `${sign}${Math.floor(seconds / 86_400)} d ${Math.floor((seconds % 86_400) / 3600)} h`;
}

/** A timestamp in the browser's locale; '–' when absent. */
export function formatTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '–';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** How long ago (or, for a future time, in how long) `iso` is from `now`. */
export function formatRelative(iso: string | null | undefined, now: number): string {
  if (iso === null || iso === undefined) return '–';
  const delta = now - new Date(iso).getTime();
  if (Number.isNaN(delta)) return iso;
  if (Math.abs(delta) < 1000) return 'just now';
  return delta >= 0 ? `${formatDuration(delta)} ago` : `in ${formatDuration(-delta)}`;
}

/** Any JSON value, indented, as text (rendered in a `<pre>`, never as HTML). */
export function prettyJson(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A `datetime-local` input's value as ISO, or undefined when empty or invalid. */
export function localInputToIso(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** A handler's progress as a percentage 0..100, when it is one (a number, or `{ percent }`). */
export function progressPercent(progress: unknown): number | null {
  const value =
    typeof progress === 'number'
      ? progress
      : typeof progress === 'object' && progress !== null && 'percent' in progress
        ? (progress as { percent: unknown }).percent
        : null;
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  return value >= 0 && value <= 100 ? value : null;
}
