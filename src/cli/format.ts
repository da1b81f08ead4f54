import Table from 'cli-table3';

/** A plain table for the terminal. */
export function table(head: string[], rows: (string | number)[][]): string {
  if (rows.length === 0) return '(none)';
  const t = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows) t.push(row.map(String));
  return t.toString();
}

/** `name  value` lines, aligned. */
export function fields(entries: [string, unknown][]): string {
  const width = Math.max(...entries.map(([name]) => name.length));
  return entries.map(([name, value]) => `${name.padEnd(width)}  ${show(value)}`).join('\n');
}

/** A value in one line: dates in ISO 8601, objects as JSON. */
export function show(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** A duration for people: 850 ms, 12.3 s, 4 min 5 s, 3 h 2 min. */
export function duration(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}

/** Cuts a JSON rendering to `max` characters. */
export function brief(value: unknown, max = 60): string {
  const text = show(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
