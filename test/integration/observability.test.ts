import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncHooksContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NonRetryableError, Queue, ValidationError } from '../../src/index.js';
import { createTestDatabase } from '../helpers/database.js';
import { waitFor } from '../helpers/wait.js';

const db = await createTestDatabase();
const queue = new Queue({ connectionString: db.url });
afterAll(async () => {
  await queue.close();
  await db.drop();
});

/** The value of one sample of `name` with these labels in Prometheus text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inside = line.slice(name.length + 1, line.indexOf('}'));
    const have = inside.split(',');
    if (wanted.every((pair) => have.includes(pair))) return Number(line.split(' ').pop());
  }
  return undefined;
}

describe('metrics', () => {
  test('counts per state and depth from the database, outcomes and durations from this process', async () => {
    const metrics = queue.metrics({ statsMaxAgeMs: 0 });
    const worker = queue.work<{ fail?: boolean }>('metered', async (job) => {
      if (job.payload.fail) throw new NonRetryableError('no');
    });
    try {
      await queue.sendBatch('metered', [
        { payload: {} },
        { payload: {} },
        { payload: { fail: true } },
      ]);
      await queue.send('metered-idle', {}, { delayMs: 3_600_000 });
      const due = await queue.send('metered-idle', {});
      // Due an hour ago: the oldest pending age is that hour (to the minute), not 0.
      await queue.pool.query(
        "UPDATE pgpulse.jobs SET run_at = now() - interval '1 hour' WHERE id = $1",
        [due.id],
      );
      await waitFor(async () => {
        const { counts } = await queue.stats('metered');
        return counts.completed === 2 && counts.dead === 1;
      }, 'the jobs to finish');
      await waitFor(
        async () =>
          sample(await metrics.text(), 'pgpulse_jobs_dead_total', { queue: 'metered' }) === 1,
        'the dead counter',
      );
      const text = await metrics.text();
      expect(sample(text, 'pgpulse_jobs', { queue: 'metered', state: 'completed' })).toBe(2);
      expect(sample(text, 'pgpulse_jobs', { queue: 'metered', state: 'dead' })).toBe(1);
      expect(sample(text, 'pgpulse_jobs', { queue: 'metered-idle', state: 'pending' })).toBe(2);
      expect(sample(text, 'pgpulse_queue_depth', { queue: 'metered-idle' })).toBe(1);
      const age = sample(text, 'pgpulse_oldest_pending_age_seconds', { queue: 'metered-idle' });
      expect(Math.floor((age ?? 0) / 60)).toBe(60);
      expect(sample(text, 'pgpulse_jobs_completed_total', { queue: 'metered' })).toBe(2);
      expect(sample(text, 'pgpulse_jobs_failed_total', { queue: 'metered' })).toBe(1);
      // The worker registry: this process's one consumer of the queue.
      expect(sample(text, 'pgpulse_workers', { queue: 'metered', measure: 'consumers' })).toBe(1);
      expect(
        sample(text, 'pgpulse_job_duration_seconds_count', {
          queue: 'metered',
          outcome: 'completed',
        }),
      ).toBe(2);
    } finally {
      await worker.stop();
      await metrics.close();
    }
  });

  test('are served over HTTP at /metrics, on request only', async () => {
    const registry = new Registry();
    const metrics = queue.metrics({ registry, prefix: 'app_jobs_' });
    const server = await metrics.serve({ port: 0 });
    try {
      const response = await fetch(server.url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/plain');
      expect(await response.text()).toContain('# TYPE app_jobs_queue_depth gauge');
      expect((await fetch(server.url.replace('/metrics', '/other'))).status).toBe(404);
      expect(await registry.getSingleMetricAsString('app_jobs_jobs')).toContain('app_jobs_jobs');
    } finally {
      await server.close();
      await metrics.close();
    }
  });

  test('bad options are refused', () => {
    expect(() => queue.metrics({ prefix: 'bad prefix' })).toThrow(ValidationError);
    expect(() => queue.metrics({ registry: {} as Registry })).toThrow(ValidationError);
  });
});

describe('tracing', () => {
  const exporter = new InMemorySpanExporter();
  const contextManager = new AsyncHooksContextManager();
  beforeAll(() => {
    contextManager.enable();
    context.setGlobalContextManager(contextManager);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
  });
  afterAll(() => {
    trace.disable();
    propagation.disable();
    context.disable();
  });

  test("the consumer's span continues the producer's trace", async () => {
    const tracer = trace.getTracer('test');
    const worker = queue.work('traced', async () => {
      tracer.startSpan('inside the handler').end();
    });
    try {
      const { id } = await tracer.startActiveSpan('request', async (span) => {
        try {
          return await queue.send('traced', { n: 1 });
        } finally {
          span.end();
        }
      });
      await waitFor(async () => (await queue.getJob(id))?.state === 'completed', 'completion');
      await waitFor(
        () => exporter.getFinishedSpans().some((s) => s.name === 'process traced'),
        'the process span',
      );
      const spans = exporter.getFinishedSpans();
      const request = spans.find((s) => s.name === 'request');
      const send = spans.find((s) => s.name === 'send traced');
      const processed = spans.find((s) => s.name === 'process traced');
      const inner = spans.find((s) => s.name === 'inside the handler');
      const traceId = request?.spanContext().traceId;
      expect(traceId).toBeDefined();
      expect(send?.spanContext().traceId).toBe(traceId);
      expect(processed?.spanContext().traceId).toBe(traceId);
      expect(processed?.parentSpanContext?.spanId).toBe(send?.spanContext().spanId);
      expect(processed?.attributes).toMatchObject({
        'messaging.system': 'pgpulse',
        'messaging.message.id': id,
      });
      // The handler runs inside the process span.
      expect(inner?.parentSpanContext?.spanId).toBe(processed?.spanContext().spanId);
      expect((await queue.getJob(id))?.traceContext?.traceparent).toContain(traceId);
    } finally {
      await worker.stop();
    }
  });
});
