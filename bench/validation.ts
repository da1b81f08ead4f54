/**
 * Micro-benchmark of enqueue validation alone (no database): how long `resolveBatch` (every
 * check a `sendBatch` makes, payload serialization included) and `serializeJson` take for
 * 10,000 payloads of about 200 bytes. `npx tsx bench/validation.ts [-- --rounds 15]`.
 * Reports the median CPU time of the rounds; run it before and after a change to the checks.
 */

import { serializeJson } from '../src/kernel/json-value.js';
import { resolveBatch } from '../src/produce/job-spec.js';

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 15;
const count = 10_000;
const defaults = { maxPayloadBytes: 1024 * 1024 };

/** Mixed payloads: nested objects, arrays, numbers, ASCII and non-ASCII strings. */
function mixedPayload(i: number) {
  return {
    userId: `user-${i}`,
    email: `person${i}@example.com`,
    tags: ['signup', 'trial', `cohort-${i % 12}`],
    meta: { source: 'web', attempt: i % 5, ok: i % 2 === 0, note: `Grüße ✓ ${i}` },
    amount: i * 1.25,
    createdAt: new Date(1_700_000_000_000 + i).toISOString(),
  };
}

/** Text-heavy payloads: one ~200-character string, where the string scan dominates. */
function textPayload(i: number) {
  return { body: `${i} ${'lorem ipsum dolor sit amet, '.repeat(7)}` };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function measure(label: string, run: () => void): void {
  for (let i = 0; i < 3; i++) run(); // warm up
  // CPU time of this process rather than wall time: steadier on a machine shared with others.
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = process.cpuUsage();
    run();
    const used = process.cpuUsage(start);
    times.push((used.user + used.system) / 1000);
  }
  const ms = median(times);
  console.log(
    `${label.padEnd(40)} ${ms.toFixed(2).padStart(7)} ms  ${Math.round((count / ms) * 1000)
      .toLocaleString('en')
      .padStart(10)} payloads/s`,
  );
}

for (const [kind, make] of [
  ['mixed', mixedPayload],
  ['text', textPayload],
] as const) {
  const payloads = Array.from({ length: count }, (_, i) => make(i));
  const bytes = JSON.stringify(payloads).length / count;
  const items = payloads.map((payload) => ({ payload }));
  console.log(`${kind}: ${count} payloads of ~${Math.round(bytes)} bytes`);
  measure('  JSON.stringify only (floor)', () => {
    for (const payload of payloads) JSON.stringify(payload);
  });
  measure('  serializeJson', () => {
    for (const payload of payloads) serializeJson('payload', payload, defaults.maxPayloadBytes);
  });
  measure('  resolveBatch (sendBatch checks)', () => {
    resolveBatch(items, defaults);
  });
}
