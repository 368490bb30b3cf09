import { DescribeStackResourceCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { compareTrace } from './compare';
import { TraceCheckUsageError } from './errors';
import { entryEvent } from './event';
import { expectedHops, resolveEntry } from './expected';
import { newTraceContext, toXrayTraceId, type CheckTraceContext } from './ids';
import type { ExpectedTrace, NormalisedSpan, TraceBackend, TraceComparison, TraceMapDocument } from './types';

/** How long a check waits for the trace by default. */
export const DEFAULT_TIMEOUT_MS = 120_000;

/** How often a check asks the backend by default. */
export const DEFAULT_POLL_INTERVAL_MS = 5_000;

/** Options of `runCheck`. */
export interface RunCheckOptions {
  /**
   * What the trace should reach. Give this, or `map` with `stack` and/or `entry`.
   *
   * @default - expectedHops(map, the entry resolved from `stack` and `entry`)
   */
  readonly expected?: ExpectedTrace;
  /** The trace map (`cdk.out/trace-map.json`). */
  readonly map?: TraceMapDocument;
  /** The stack: its construct path (`Prod/Payments`), stack name or artifact id. */
  readonly stack?: string;
  /** The entry's node id; default: the one entry function of `stack`. */
  readonly entry?: string;
  /**
   * The entry function's name (or ARN).
   *
   * @default - the physical id of the entry's logical id in its stack (`DescribeStackResource`)
   */
  readonly functionName?: string;
  /** Resolves the function name when it is not given. */
  readonly cloudFormation?: CloudFormationClient;
  /** Invokes the entry. */
  readonly lambda: LambdaClient;
  /** Where the trace is read back. */
  readonly backend: TraceBackend;
  /**
   * The request's JSON body (an HTTP entry) or the event (another entry).
   *
   * @default { source: 'trace-check' }
   */
  readonly body?: unknown;
  /** How long to wait for the trace after the invocation. @default 120000 */
  readonly timeoutMs?: number;
  /** How long between two reads of the backend. @default 5000 */
  readonly pollIntervalMs?: number;
  /** The clock (ms since the epoch). @default Date.now */
  readonly now?: () => number;
  /** Waits `ms`. @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Random bytes for the ids. @default crypto.randomBytes */
  readonly random?: (size: number) => Uint8Array;
}

/** How a check ended. */
export type CheckStatus =
  /** Every expected hop is in the trace. */
  | 'complete'
  /** The trace was found, some hops are missing. */
  | 'incomplete'
  /** The backend had no span of the trace within the timeout. */
  | 'not-found'
  /** The entry function failed (FunctionError): the trace was not read. */
  | 'invoke-failed';

/** What the invocation of the entry returned. */
export interface InvocationOutcome {
  /** Lambda's status code of the Invoke call (200). */
  readonly statusCode?: number;
  /** `Unhandled` (or `Handled`) when the function failed. */
  readonly functionError?: string;
  /** The error's type and message, when the function failed. */
  readonly errorType?: string;
  readonly errorMessage?: string;
  /** The HTTP status the entry answered (an HTTP entry's `statusCode`). */
  readonly responseStatus?: number;
  /** The end of the function's log for this invocation (Lambda returns the last 4 KB), when it failed. */
  readonly logTail?: string;
}

/** What a check and a drill both report: the trace they started, the invocation, the reads. */
export interface CheckRun {
  /** The W3C trace id the check started (32 hex). */
  readonly traceId: string;
  /** The same id in X-Ray's form. */
  readonly xrayTraceId: string;
  readonly traceparent: string;
  readonly entry: { readonly node: string; readonly functionName: string };
  readonly invocation: InvocationOutcome;
  readonly backend: string;
  /** How many times the backend was read. */
  readonly polls: number;
  /** From the end of the invocation to the last read. */
  readonly waitedMs: number;
  /** Observations that help read the result (the entry answered 4xx, …). */
  readonly notes: readonly string[];
}

/** The result of a check. */
export interface TraceCheckResult extends TraceComparison, CheckRun {
  readonly status: CheckStatus;
  /** The W3C trace id the check started (32 hex). */
  readonly traceId: string;
}

/**
 * Checks that a request to the entry function is traced end to end, as the trace map says:
 *
 * 1. starts a trace with a known id (W3C, X-Ray compatible: its first 8 hex digits are now), kept
 *    at every hop whatever the sampling (the sampled flag and the `tracestate` entry
 *    `cdk-serverless-tracing=keep`, which the runtime honours as an always-keep rule),
 * 2. invokes the entry function (`lambda:InvokeFunction`, request-response) with an event for its
 *    route that carries `traceparent: 00-<trace id>-<span id>-01`; its name comes from the stack
 *    (`cloudformation:DescribeStackResource` on the entry's logical id) unless given,
 * 3. stops there when the function failed (FunctionError),
 * 4. reads the trace from the backend every `pollIntervalMs` until every expected hop is there or
 *    `timeoutMs` passed (at most `timeoutMs / pollIntervalMs + 1` reads), and compares it.
 *
 * A trace that does not show up in time is a result (`not-found`), not an error. Errors of the
 * AWS calls themselves (no credentials, no such function) are thrown; a map, stack or entry that
 * does not fit is a `TraceCheckUsageError`.
 */
export async function runCheck(options: RunCheckOptions): Promise<TraceCheckResult> {
  const started = await startTrace(options, 'kept');
  const { expected, context, base, timing } = started;
  const { invocation } = base;
  const notes: string[] = [];

  if (invocation.functionError) {
    const error = [invocation.errorType, invocation.errorMessage].filter(Boolean).join(': ');
    const why = `not read: the entry function failed (${invocation.functionError}${error ? `, ${error}` : ''})`;
    const comparison = compareTrace(expected, undefined, { traceId: context.traceId, notFoundWhy: why });
    return { ...comparison, ...base, ok: false, status: 'invoke-failed', polls: 0, waitedMs: 0, notes };
  }
  if (invocation.responseStatus !== undefined && invocation.responseStatus >= 400) {
    notes.push(
      `the entry answered ${invocation.responseStatus}: the hops after it may never happen for this request (give a body it accepts)`,
    );
  }

  const read = await readUntil(options.backend, context, timing, (spans) => {
    const comparison = compareTrace(expected, spans, {
      traceId: context.traceId,
      rootSpanId: context.spanId,
    });
    return { done: comparison.ok, value: comparison };
  });
  let comparison = read.value ?? compareTrace(expected, undefined, { traceId: context.traceId });
  if (!comparison.found) {
    comparison = compareTrace(expected, undefined, {
      traceId: context.traceId,
      notFoundWhy: `the trace was not found in ${base.backend} within ${Math.round(timing.timeoutMs / 1000)} s (${read.polls} reads)`,
    });
  }
  const status: CheckStatus = comparison.ok ? 'complete' : comparison.found ? 'incomplete' : 'not-found';
  return { ...comparison, ...base, status, polls: read.polls, waitedMs: read.waitedMs, notes };
}

/** How a check waits: its clock, its sleep, its timeout and the time between two reads. */
export interface CheckTiming {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
}

/** A trace started at the entry: what is expected, the context sent, and what the entry answered. */
export interface StartedTrace {
  readonly expected: ExpectedTrace;
  readonly context: CheckTraceContext;
  readonly timing: CheckTiming;
  readonly base: Omit<CheckRun, 'polls' | 'waitedMs' | 'notes'>;
}

/**
 * Starts a trace at the entry: resolves the expectation and the function's name, makes a trace
 * context (`kept` for a check, `drill` for a drill) and invokes the entry with the event for its
 * route carrying it (and `body`).
 */
export async function startTrace(options: RunCheckOptions, mode: 'kept' | 'drill'): Promise<StartedTrace> {
  const timing: CheckTiming = {
    now: options.now ?? Date.now,
    sleep: options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    pollIntervalMs: Math.max(1, options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS),
  };
  const expected = options.expected ?? expectedFromMap(options);
  const functionName = options.functionName ?? (await resolveFunctionName(expected, options.cloudFormation));
  const context = newTraceContext(timing.now(), options.random, mode);
  const event = entryEvent({
    entry: expected.entry,
    traceparent: context.traceparent,
    tracestate: context.tracestate,
    body: options.body,
    nowMs: timing.now(),
    requestId: `${mode === 'drill' ? 'trace-check-drill' : 'trace-check'}-${context.traceId}`,
  });
  const invocation = await invokeEntry(options.lambda, functionName, event);
  return {
    expected,
    context,
    timing,
    base: {
      traceId: context.traceId,
      xrayTraceId: toXrayTraceId(context.traceId),
      traceparent: context.traceparent,
      entry: { node: expected.entry.node, functionName },
      invocation,
      backend: options.backend.name ?? 'backend',
    },
  };
}

/**
 * Reads the trace every `pollIntervalMs` until `judge` says it is done or `timeoutMs` passed (at
 * most `timeoutMs / pollIntervalMs + 1` reads); returns the last judgement.
 */
export async function readUntil<T>(
  backend: TraceBackend,
  context: CheckTraceContext,
  timing: CheckTiming,
  judge: (spans: NormalisedSpan[] | undefined) => { done: boolean; value: T },
): Promise<{ value?: T; polls: number; waitedMs: number }> {
  const { now, sleep, timeoutMs, pollIntervalMs } = timing;
  const started = now();
  const deadline = started + timeoutMs;
  const maxPolls = Math.floor(timeoutMs / pollIntervalMs) + 1;
  let value: T | undefined;
  let polls = 0;
  while (polls < maxPolls) {
    const wait = Math.min(pollIntervalMs, Math.max(0, deadline - now()));
    if (wait > 0) await sleep(wait);
    const judged = judge(await backend.getTrace(context.traceId));
    value = judged.value;
    polls++;
    if (judged.done || now() >= deadline) break;
  }
  return { value, polls, waitedMs: now() - started };
}

/** The expectation from the map, stack and entry of the options. */
export function expectedFromMap(options: Pick<RunCheckOptions, 'map' | 'stack' | 'entry'>): ExpectedTrace {
  if (!options.map) {
    throw new TraceCheckUsageError('give the expected hops, or the trace map with the stack or the entry');
  }
  return expectedHops(options.map, resolveEntry(options.map, { stack: options.stack, entry: options.entry }));
}

/**
 * The entry function's name: the physical id of its logical id in its stack (CloudFormation
 * `DescribeStackResource`), or the name the map knows when it was set at synth.
 *
 * @throws TraceCheckUsageError when the map gives neither, or the stack has no such resource.
 */
export async function resolveFunctionName(
  expected: ExpectedTrace,
  cloudFormation: CloudFormationClient | undefined,
): Promise<string> {
  const { entry } = expected;
  if (entry.physicalName) return entry.physicalName;
  if (!entry.stack?.stackName || !entry.logicalId) {
    throw new TraceCheckUsageError(
      `the trace map has no stack name and logical id for ${entry.node}; give the function name`,
    );
  }
  if (!cloudFormation) {
    throw new TraceCheckUsageError(`give the function name of ${entry.node}, or a CloudFormation client`);
  }
  try {
    const output = await cloudFormation.send(
      new DescribeStackResourceCommand({
        StackName: entry.stack.stackName,
        LogicalResourceId: entry.logicalId,
      }),
    );
    const name = output.StackResourceDetail?.PhysicalResourceId;
    if (!name) throw new Error('no physical resource id in the answer');
    return name;
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'ValidationError') {
      throw new TraceCheckUsageError(
        `stack ${entry.stack.stackName} has no resource ${entry.logicalId} (${entry.node}): ${(error as Error).message} (is the stack deployed in this account and region?)`,
      );
    }
    throw error;
  }
}

/** Invokes the function (request-response, with the log tail) and reads what it answered. */
export async function invokeEntry(
  lambda: LambdaClient,
  functionName: string,
  event: unknown,
): Promise<InvocationOutcome> {
  const output = await lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'RequestResponse',
      LogType: 'Tail',
      Payload: Buffer.from(JSON.stringify(event)),
    }),
  );
  let payload: unknown;
  try {
    payload =
      output.Payload && output.Payload.length > 0
        ? JSON.parse(Buffer.from(output.Payload).toString('utf8'))
        : undefined;
  } catch {
    payload = undefined;
  }
  const result = (payload ?? {}) as { statusCode?: unknown; errorType?: unknown; errorMessage?: unknown };
  const outcome: Record<string, unknown> = { statusCode: output.StatusCode };
  if (output.FunctionError) {
    outcome.functionError = output.FunctionError;
    if (typeof result.errorType === 'string') outcome.errorType = result.errorType;
    if (typeof result.errorMessage === 'string') outcome.errorMessage = result.errorMessage;
    if (output.LogResult) outcome.logTail = Buffer.from(output.LogResult, 'base64').toString('utf8');
  } else if (typeof result.statusCode === 'number') {
    outcome.responseStatus = result.statusCode;
  }
  return outcome as InvocationOutcome;
}
