/**
 * The trace continuity check: what the trace map expects a request to reach, a run that sends a
 * request with a known trace id and reads the trace back, and the comparison of the two. Used by
 * the `trace-check` command and the `TraceContinuityCanary` (also `cdk-serverless-tracing/check`).
 */
export * from './backends';
export { compareTrace, type CompareOptions } from './compare';
export { TraceCheckUsageError } from './errors';
export { DEFAULT_BODY, entryEvent, type EntryEventInput } from './event';
export { entriesOf, expectedHops, findStack, parseTraceMap, resolveEntry, stacksOf } from './expected';
export {
  fromXrayTraceId,
  KEEP_TRACESTATE_ENTRY,
  newTraceContext,
  toXrayTraceId,
  type CheckTraceContext,
} from './ids';
export {
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_TIMEOUT_MS,
  resolveFunctionName,
  runCheck,
  type CheckRun,
  type CheckStatus,
  type InvocationOutcome,
  type RunCheckOptions,
  type TraceCheckResult,
} from './run-check';
export {
  drilledHop,
  runDrill,
  type DrillExpectation,
  type DrillResult,
  type DrillStatus,
  type RunDrillOptions,
} from './run-drill';
export * from './types';
