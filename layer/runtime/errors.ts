import { SpanStatusCode, type Exception, type Span } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import { warnOnce } from './diagnostics';

/** `error.type`: the error's class name (a subclass that did not set `name` still counts). */
export function errorType(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  if (error.name && error.name !== 'Error') return error.name;
  return error.constructor?.name || 'Error';
}

/** The exception to record: the error's own message and stack, with `errorType` as its type. */
export function asException(error: unknown): Exception {
  if (!(error instanceof Error)) return String(error);
  return { name: errorType(error), message: error.message, stack: error.stack };
}

/**
 * Marks a span as failed by `error`: the exception recorded, `error.type`, status ERROR with the
 * error's message. Never throws (a failure is reported once under `key`).
 */
export function recordFailure(span: Span, error: unknown, key: string): void {
  try {
    span.recordException(asException(error));
    span.setAttribute(ATTR_ERROR_TYPE, errorType(error));
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
  } catch (failure) {
    warnOnce(key, 'recording an error on a span failed', failure);
  }
}
