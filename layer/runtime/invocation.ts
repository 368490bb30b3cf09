import { context, createContextKey, type Context } from '@opentelemetry/api';

/** What the runtime keeps about the invocation in progress. */
export interface InvocationState {
  /** Traces in which this invocation failed; their unsampled spans are kept (keep errors). */
  readonly failedTraceIds: Set<string>;
  /** Traces an always-keep rule sampled: the invocation's, and those of its records' messages. */
  readonly alwaysKeptTraceIds: Set<string>;
}

const INVOCATION = createContextKey('cdk-serverless-tracing invocation');

/** The context with the invocation's state, for the code that runs inside the handler. */
export function withInvocation(parent: Context, state: InvocationState): Context {
  return parent.setValue(INVOCATION, state);
}

/** The state of the invocation the calling code runs in, if any. */
export function currentInvocation(): InvocationState | undefined {
  return context.active().getValue(INVOCATION) as InvocationState | undefined;
}
