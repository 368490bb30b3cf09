import { context, createContextKey, type Context, type Span } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

/**
 * The spans one invocation produced, held until its flush. Each invocation has its own, so
 * invocations that overlap in one process (Lambda Managed Instances) never export, drop or keep
 * each other's spans.
 */
export interface SpanBuffer {
  /** Sampled spans: always exported. */
  readonly sampled: ReadableSpan[];
  /** Recorded but unsampled spans: exported only when their trace is kept. */
  readonly unsampled: ReadableSpan[];
}

/** What the runtime keeps about one invocation in progress. */
export interface InvocationState {
  /** Traces in which this invocation failed; their unsampled spans are kept (keep errors). */
  readonly failedTraceIds: Set<string>;
  /** Traces an always-keep rule sampled: the invocation's, and those of its records' messages. */
  readonly alwaysKeptTraceIds: Set<string>;
  /** The spans started inside this invocation that have ended. */
  readonly spans: SpanBuffer;
  /** Client spans (fetch) this invocation started that are still open. */
  readonly openClientSpans: Set<Span>;
}

/** A new, empty invocation state. */
export function newInvocation(): InvocationState {
  return {
    failedTraceIds: new Set(),
    alwaysKeptTraceIds: new Set(),
    spans: { sampled: [], unsampled: [] },
    openClientSpans: new Set(),
  };
}

const INVOCATION = createContextKey('cdk-serverless-tracing invocation');

/** The context with the invocation's state, for the code that runs inside the handler. */
export function withInvocation(parent: Context, state: InvocationState): Context {
  return parent.setValue(INVOCATION, state);
}

/** The state of the invocation a context belongs to, if any. */
export function invocationOf(ctx: Context): InvocationState | undefined {
  return ctx.getValue(INVOCATION) as InvocationState | undefined;
}

/** The state of the invocation the calling code runs in, if any. */
export function currentInvocation(): InvocationState | undefined {
  return invocationOf(context.active());
}
