import type { JobErrorRecord } from './types.js';
import { toStorableText } from './validate.js';

const MAX_MESSAGE_CHARS = 2000;
const MAX_STACK_CHARS = 4000;

/**
 * What is stored about a failure: name, message, code and a truncated stack. Anything may be
 * thrown in JavaScript, so non-errors are described rather than dropped. The database adds the
 * attempt number and time. Never throws, and its text is always storable: a failure that could
 * not be recorded would leave the job running until its lease expired, to fail again.
 */
export function toErrorRecord(
  error: unknown,
  retryable: boolean,
): Omit<JobErrorRecord, 'attempt' | 'at'> {
  if (error instanceof Error) {
    const code = read(() => (error as { code?: unknown }).code);
    const stack = textOf(() => error.stack);
    return {
      name: truncate(textOf(() => error.name) || 'Error', 200),
      message: truncate(textOf(() => error.message) ?? '', MAX_MESSAGE_CHARS),
      ...(typeof code === 'string' ? { code: truncate(code, 200) } : {}),
      ...(stack === undefined ? {} : { stack: truncate(stack, MAX_STACK_CHARS) }),
      retryable,
    };
  }
  const message =
    textOf(() => (typeof error === 'string' ? error : JSON.stringify(error))) ??
    // JSON.stringify refused (a cycle, a BigInt, deep nesting) or gave nothing (a function).
    textOf(() => String(error)) ??
    Object.prototype.toString.call(error);
  return { name: 'NonError', message: truncate(message, MAX_MESSAGE_CHARS), retryable };
}

/** A property of something thrown; a getter may throw too. */
function read(get: () => unknown): unknown {
  try {
    return get();
  } catch {
    return undefined;
  }
}

/** A property of something thrown, as text, or undefined when absent or unprintable. */
function textOf(get: () => unknown): string | undefined {
  try {
    const value = get();
    if (value === undefined) return undefined;
    return typeof value === 'string' ? value : String(value);
  } catch {
    return undefined;
  }
}

/**
 * Keeps the head of a long text and makes it storable whatever it held: PostgreSQL refuses NUL
 * and lone surrogates, so each becomes U+FFFD.
 */
function truncate(text: string, max: number): string {
  // A cut may split a surrogate pair; toStorableText mends that too.
  const head = text.length > max ? `${text.slice(0, max)}…` : text;
  return toStorableText(head);
}

/** A short description of an error for a log line: its message and code, not a whole dump. */
export function describeError(error: unknown): { message: string; code?: string } {
  const { message, code } = toErrorRecord(error, true);
  return code === undefined ? { message } : { message, code };
}
