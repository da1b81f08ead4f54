import type { ResolvedJobSpec } from './job-spec.js';

/** The parallel columns send_jobs.sql takes: ids, payloads and options, aligned by index. */
export interface SendColumns {
  /** A PostgreSQL array literal of the ids (uuid[]). */
  readonly ids: string;
  /** A JSON array of the payloads. */
  readonly payloads: string;
  /**
   * A JSON array with one object per job holding its options that are not defaults, or `[]`
   * when no job has any (the statement fills defaults in).
   */
  readonly options: string;
}

/**
 * The columns of send_jobs.sql, written directly: only free-form strings go through
 * JSON.stringify (names and ISO dates are JSON-safe as validated).
 */
export function toSendColumns(specs: readonly ResolvedJobSpec[]): SendColumns {
  const ids: string[] = new Array(specs.length);
  const payloads: string[] = new Array(specs.length);
  const options: string[] = new Array(specs.length);
  let anyOptions = false;
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i] as ResolvedJobSpec;
    ids[i] = spec.id;
    payloads[i] = spec.payloadJson;
    const set = optionsJson(spec);
    options[i] = set;
    if (set !== '{}') anyOptions = true;
  }
  return {
    ids: `{${ids.join(',')}}`,
    payloads: `[${payloads.join(',')}]`,
    options: anyOptions ? `[${options.join(',')}]` : '[]',
  };
}

/** One job's options that are not defaults, as a JSON object. */
function optionsJson(spec: ResolvedJobSpec): string {
  let json = '';
  if (spec.maxAttempts !== null) json += `,"max_attempts":${spec.maxAttempts}`;
  if (spec.name !== 'default') json += `,"name":"${spec.name}"`;
  if (spec.priority !== 0) json += `,"priority":${spec.priority}`;
  if (spec.runAt !== null) json += `,"run_at":"${spec.runAt}"`;
  if (spec.delayMs !== null) json += `,"delay_ms":${spec.delayMs}`;
  if (spec.backoff !== null) json += `,"backoff":${JSON.stringify(spec.backoff)}`;
  if (spec.idempotencyKey !== null)
    json += `,"idempotency_key":${JSON.stringify(spec.idempotencyKey)}`;
  if (spec.keyRetained) json += ',"key_retained":true';
  if (spec.tenant !== null) json += `,"tenant":${JSON.stringify(spec.tenant)}`;
  return `{${json.slice(1)}}`;
}
