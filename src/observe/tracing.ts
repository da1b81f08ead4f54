import {
  context,
  type Context as OtelContext,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

/**
 * OpenTelemetry spans for sending and processing, through `@opentelemetry/api` only: with no SDK
 * registered by the application every call here is a no-op. The producer's trace context is
 * stored on the job, so the consumer's span continues the producer's trace.
 */
const tracer = trace.getTracer('pgpulse');

/** Runs `send` in a PRODUCER span; `send` receives the trace context to store on the jobs. */
export function traceSend<T>(
  queue: string,
  count: number,
  send: (traceContext: string | null) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(
    `send ${queue}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'pgpulse',
        'messaging.operation.type': 'send',
        'messaging.destination.name': queue,
        'messaging.batch.message_count': count,
      },
    },
    async (span) => {
      try {
        const carrier: Record<string, string> = {};
        propagation.inject(context.active(), carrier);
        return await send(Object.keys(carrier).length > 0 ? JSON.stringify(carrier) : null);
      } catch (error) {
        fail(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** Runs a handler in a CONSUMER span whose parent is the producer's span, when one was stored. */
export function traceProcess<T>(
  job: {
    id: string;
    queue: string;
    name: string;
    attempts: number;
    traceContext: Record<string, string> | null;
  },
  process: () => Promise<T>,
): Promise<T> {
  const parent: OtelContext =
    job.traceContext === null
      ? context.active()
      : propagation.extract(context.active(), job.traceContext);
  return tracer.startActiveSpan(
    `process ${job.queue}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'pgpulse',
        'messaging.operation.type': 'process',
        'messaging.destination.name': job.queue,
        'messaging.message.id': job.id,
        'pgpulse.job.name': job.name,
        'pgpulse.job.attempt': job.attempts,
      },
    },
    parent,
    async (span) => {
      try {
        return await process();
      } catch (error) {
        fail(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

function fail(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}
