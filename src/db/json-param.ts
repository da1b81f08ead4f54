/**
 * Serializes rows into the one JSON array a batch statement takes as a parameter. Values that are
 * already JSON text (payloads, results) are spliced in as they are, not encoded a second time.
 *
 * Rows with an `id` go in id order: a batch statement over jobs locks their rows in the order of
 * its input, and two of them over the same jobs on two connections (a worker's heartbeat and its
 * completion) must take the rows in one order, or they can deadlock
 * (test/regressions/heartbeat-and-completion-deadlock.test.ts). Callers match the answers by id.
 */
export function jsonArrayParam(
  rows: readonly { fields: Record<string, unknown>; raw?: Record<string, string> }[],
): string {
  const ordered = [...rows].sort((a, b) => compareIds(a.fields.id, b.fields.id));
  const parts = ordered.map(({ fields, raw }) => {
    const json = JSON.stringify(fields);
    if (raw === undefined) return json;
    const extra = Object.entries(raw).map(([key, value]) => `${JSON.stringify(key)}:${value}`);
    return `${json.slice(0, -1)}${json.length > 2 ? ',' : ''}${extra.join(',')}}`;
  });
  return `[${parts.join(',')}]`;
}

/** Canonical UUID text sorts as the uuid type does; rows without an id keep their place. */
function compareIds(a: unknown, b: unknown): number {
  if (typeof a !== 'string' || typeof b !== 'string') return 0;
  return a < b ? -1 : a > b ? 1 : 0;
}
