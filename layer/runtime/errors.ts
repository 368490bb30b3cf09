import type { Exception } from '@opentelemetry/api';
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
