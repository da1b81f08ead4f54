/**
 * Serializes rows into the one JSON array a batch statement takes as a parameter. Values that are
 * already JSON text (payloads, results) are spliced in as they are, not encoded a second time.
 */
export function jsonArrayParam(
  rows: readonly { fields: Record<string, unknown>; raw?: Record<string, string> }[],
): string {
  const parts = rows.map(({ fields, raw }) => {
    const json = JSON.stringify(fields);
    if (raw === undefined) return json;
    const extra = Object.entries(raw).map(([key, value]) => `${JSON.stringify(key)}:${value}`);
    return `${json.slice(0, -1)}${json.length > 2 ? ',' : ''}${extra.join(',')}}`;
  });
  return `[${parts.join(',')}]`;
}
