import { createRequire } from 'node:module';
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

  test("a registry of the application's own copy of prom-client is accepted", async () => {
    // Another copy of prom-client (another version, or another install): its classes are not
    // ours, so `instanceof` fails; the registry is recognised by its methods.
    const require = createRequire(import.meta.url);
    const entry = require.resolve('prom-client');
    const ours = Object.keys(require.cache).filter((key) => key.includes('/prom-client/'));
    const saved = Object.fromEntries(ours.map((key) => [key, require.cache[key]]));
    for (const key of ours) delete require.cache[key];
    let theirs: typeof import('prom-client');
    try {
      theirs = require(entry) as typeof import('prom-client');
    } finally {
      for (const key of Object.keys(require.cache)) {
        if (key.includes('/prom-client/')) delete require.cache[key];
      }
      Object.assign(require.cache, saved);
    }
    const registry = new theirs.Registry();
    expect(registry).not.toBeInstanceOf(Registry);
    const metrics = queue.metrics({ registry: registry as unknown as Registry, prefix: 'own_' });
    try {
      expect(await registry.metrics()).toContain('# TYPE own_queue_depth gauge');
    } finally {
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
      expect(processed?.attributes).toMatchObject({
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
        'messaging.destination.name': 'traced',
      });
      // A single send is not a batch.
      expect(send?.attributes).toMatchObject({ 'messaging.operation.name': 'send' });
      expect(send?.attributes['messaging.batch.message_count']).toBeUndefined();
      // The handler runs inside the process span.
      expect(inner?.parentSpanContext?.spanId).toBe(processed?.spanContext().spanId);
      expect((await queue.getJob(id))?.traceContext?.traceparent).toContain(traceId);
    } finally {
      await worker.stop();
    }
  });

  const spansNamed = (name: string) => exporter.getFinishedSpans().filter((s) => s.name === name);

  test('a batch send counts its jobs; a failed attempt has error.type', async () => {
    await queue.sendBatch('traced-batch', [{ payload: 1 }, { payload: 2 }]);
    expect(spansNamed('send traced-batch')[0]?.attributes['messaging.batch.message_count']).toBe(2);
    const worker = queue.work('traced-fail', async () => {
      throw new NonRetryableError('no');
    });
    try {
      const { id } = await queue.send('traced-fail', {});
      await waitFor(async () => (await queue.getJob(id))?.state === 'dead', 'the dead job');
      await waitFor(() => spansNamed('process traced-fail').length === 1, 'the process span');
      expect(spansNamed('process traced-fail')[0]?.attributes['error.type']).toBe(
        'NonRetryableError',
      );
    } finally {
      await worker.stop();
    }
  });

  test('workBatch runs each batch in one span linked to every producer', async () => {
    const tracer = trace.getTracer('test');
    const sent = await tracer.startActiveSpan('request', async (span) => {
      try {
        return await queue.sendBatch('traced-wb', [{ payload: 1 }, { payload: 2 }]);
      } finally {
        span.end();
      }
    });
    const worker = queue.workBatch('traced-wb', async () => undefined, { batchSize: 2 });
    try {
      await waitFor(
        async () => (await queue.stats('traced-wb')).counts.completed === 2,
        'the batch to complete',
      );
      await waitFor(() => spansNamed('process traced-wb').length > 0, 'the batch span');
      const producer = spansNamed('send traced-wb')[0];
      const spans = spansNamed('process traced-wb');
      const links = spans.flatMap((span) => span.links);
      expect(links.map((link) => link.attributes?.['messaging.message.id']).sort()).toEqual(
        sent.map((s) => s.id).sort(),
      );
      for (const link of links) {
        expect(link.context.spanId).toBe(producer?.spanContext().spanId);
      }
      expect(
        spans.reduce((n, s) => n + Number(s.attributes['messaging.batch.message_count']), 0),
      ).toBe(2);
    } finally {
      await worker.stop();
    }
  });

  test('observe: each delivered job has a span from delivery to ack or nack', async () => {
    const acked = await queue.send('traced-observe', { ok: true });
    const nacked = await queue.send('traced-observe', { ok: false });
    const subscription = queue
      .observe<{ ok: boolean }>('traced-observe')
      .subscribe((job) =>
        job.payload.ok ? void job.ack() : void job.nack(new TypeError('bad'), { retryable: false }),
      );
    try {
      await waitFor(() => spansNamed('process traced-observe').length === 2, 'two spans');
      const byId = (id: string) =>
        spansNamed('process traced-observe').find(
          (s) => s.attributes['messaging.message.id'] === id,
        );
      expect(byId(acked.id)?.attributes['pgpulse.settlement']).toBe('ack');
      expect(byId(acked.id)?.parentSpanContext?.spanId).toBe(
        spansNamed('send traced-observe')[0]?.spanContext().spanId,
      );
      expect(byId(nacked.id)?.attributes).toMatchObject({
        'pgpulse.settlement': 'nack',
        'error.type': 'TypeError',
      });
    } finally {
      subscription.unsubscribe();
    }
  });
});
