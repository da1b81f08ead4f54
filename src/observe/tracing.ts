import {
  type Attributes,
  context,
  type Link,
  type Context as OtelContext,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

/**
 * OpenTelemetry spans for sending and processing, through `@opentelemetry/api` only (a peer
 * dependency: the application's own copy, where its SDK is registered): with no SDK registered
 * every call here is a no-op. Attributes follow the messaging semantic conventions
 * (`messaging.system`, `messaging.operation.type` and `.name`, `messaging.destination.name`,
 * `messaging.message.id`, `messaging.batch.message_count` for batches only, `error.type` on
 * failure). The producer's trace context is stored on the job, so a consumer's span continues
 * the producer's trace; a batch's span links to every producer's.
 */
const tracer = trace.getTracer('pgpulse');

/** What a span needs to know of a job. */
export interface TracedJob {
  readonly id: string;
  readonly queue: string;
  readonly name: string;
  readonly attempts: number;
  readonly traceContext: Record<string, string> | null;
}

function operation(type: 'send' | 'process', queue: string): Attributes {
  return {
    'messaging.system': 'pgpulse',
    'messaging.operation.type': type,
    'messaging.operation.name': type,
    'messaging.destination.name': queue,
  };
}

function jobAttributes(job: TracedJob): Attributes {
  return {
    'messaging.message.id': job.id,
    'pgpulse.job.name': job.name,
    'pgpulse.job.attempt': job.attempts,
  };
}

/** The producer's context stored on a job, or `base` when none was. */
function producerContext(job: TracedJob, base: OtelContext): OtelContext {
  return job.traceContext === null ? base : propagation.extract(base, job.traceContext);
}

/**
 * Runs `send` in a PRODUCER span; `send` receives the trace context to store on the jobs. A
 * batch (`batchSize` given: `sendBatch`) says how many jobs it sent; a single send does not.
 */
export function traceSend<T>(
  queue: string,
  batchSize: number | null,
  send: (traceContext: string | null) => Promise<T>,
): Promise<T> {
  const attributes = operation('send', queue);
  if (batchSize !== null) attributes['messaging.batch.message_count'] = batchSize;
  return tracer.startActiveSpan(
    `send ${queue}`,
    { kind: SpanKind.PRODUCER, attributes },
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
export function traceProcess<T>(job: TracedJob, process: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(
    `process ${job.queue}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: { ...operation('process', job.queue), ...jobAttributes(job) },
    },
    producerContext(job, context.active()),
    (span) => inSpan(span, process),
  );
}

/**
 * Runs a batch handler in one CONSUMER span (`workBatch`): its jobs came from many producers, so
 * the span has no parent of theirs but links to each producer's span.
 */
export function traceBatch<T>(
  queue: string,
  jobs: readonly TracedJob[],
  process: () => Promise<T>,
): Promise<T> {
  const links: Link[] = [];
  for (const job of jobs) {
    if (job.traceContext === null) continue;
    const spanContext = trace.getSpanContext(producerContext(job, ROOT_CONTEXT));
    if (spanContext !== undefined) {
      links.push({ context: spanContext, attributes: { 'messaging.message.id': job.id } });
    }
  }
  return tracer.startActiveSpan(
    `process ${queue}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: { ...operation('process', queue), 'messaging.batch.message_count': jobs.length },
      links,
    },
    (span) => inSpan(span, process),
  );
}

/** The span of one job delivered by `observe()`, ended when the subscriber settles it. */
export interface DeliverySpan {
  /** Ends the span: a failure (`nack`, or the job lost) with its error, else OK. */
  end(outcome: 'ack' | 'nack' | 'release' | 'lost', error?: unknown): void;
}

/**
 * Starts a CONSUMER span for a job handed to an `observe()` subscriber, whose parent is the
 * producer's span: it covers the processing from delivery to settlement (`ack`, `nack`,
 * `release`), however the subscriber's pipeline runs it, and so is not made active.
 */
export function traceDelivery(job: TracedJob): DeliverySpan {
  const span = tracer.startSpan(
    `process ${job.queue}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: { ...operation('process', job.queue), ...jobAttributes(job) },
    },
    producerContext(job, context.active()),
  );
  let ended = false;
  return {
    end(outcome, error) {
      if (ended) return;
      ended = true;
      span.setAttribute('pgpulse.settlement', outcome);
      if (outcome === 'nack' || outcome === 'lost') fail(span, error);
      span.end();
    },
  };
}

async function inSpan<T>(span: Span, process: () => Promise<T>): Promise<T> {
  try {
    return await process();
  } catch (error) {
    fail(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Marks a span failed: status ERROR, `error.type` (the error's class name), the exception. */
function fail(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  span.setAttribute('error.type', errorType(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

/** The canonical name of an error's class, as `error.type` wants it; `_OTHER` for a non-error. */
export function errorType(error: unknown): string {
  if (error instanceof Error) return error.name || error.constructor.name || 'Error';
  return '_OTHER';
}
