import {
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  context as otelContext,
  isSpanContextValid,
  trace,
  type Context as OtelContext,
  type Span,
  type SpanOptions,
} from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace';
import { ATTR_ERROR_TYPE, ATTR_HTTP_RESPONSE_STATUS_CODE } from '@opentelemetry/semantic-conventions';
import type { Context } from 'aws-lambda';
import { warnOnce } from './diagnostics';
import { recordFailure } from './errors';
import { describeEvent, httpStatusOf, type EventShape } from './event';
import { newInvocation, withInvocation, type InvocationState } from './invocation';
import { extractParent } from './propagation';
import { DeferredSpan } from './deferred-span';
import {
  markAlwaysKeep,
  markRecordOnly,
  matchAlwaysKeep,
  tracestateRule,
  type AlwaysKeepRule,
} from './sampler';
import {
  ATTR_BATCH_ITEM_FAILURES,
  ATTR_CLOUD_ACCOUNT_ID,
  ATTR_CLOUD_PROVIDER,
  ATTR_CLOUD_REGION,
  ATTR_CLOUD_RESOURCE_ID,
  ATTR_FAAS_COLDSTART,
  ATTR_FAAS_INVOCATION_ID,
  ATTR_FAAS_NAME,
  ATTR_FAAS_TRIGGER,
  ATTR_SAMPLING_RULE,
} from './semconv';
import { endOpenClientSpans, takeColdStart, tracingRuntime, type TracingRuntime } from './tracing';

/** The marks `awslambda.streamifyResponse` puts on a handler (the runtime interface client reads them). */
const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HANDLER_HIGHWATERMARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
const STREAM_RESPONSE = 'response';

/** An async Lambda handler. */
export type AsyncHandler<TEvent = unknown, TResult = unknown> = (
  event: TEvent,
  context: Context,
) => Promise<TResult> | TResult;

/** A callback-style Lambda handler (runtimes up to Node.js 22). */
export type CallbackHandler<TEvent = unknown, TResult = unknown> = (
  event: TEvent,
  context: Context,
  callback: (error?: Error | string | null, result?: TResult) => void,
) => void;

/** What `traced` returns: an async handler, accepted by every Node.js runtime. */
export type TracedHandler<TEvent = unknown, TResult = unknown> = (
  event: TEvent,
  context: Context,
) => Promise<TResult>;

/** Time kept back from the function's remaining time when the flush deadline is taken. */
const FLUSH_RESERVE_MS = 50;

/**
 * Wraps a Lambda handler so every invocation is a span of an OpenTelemetry trace.
 *
 * The span's parent comes from the event (W3C `traceparent` in the request headers, else a
 * sampled Lambda X-Ray header); the span carries the FaaS and cloud semantic conventions, and
 * the HTTP ones for API Gateway, ALB and function-URL events. A thrown error is recorded and
 * rethrown unchanged; a 5xx response marks the span as an error; the result is returned as the
 * handler gave it. An invocation that matches an always-keep rule (`TRACING_ALWAYS_KEEP`) is
 * sampled, with every span started inside it, whatever the ratio or its parent said. Spans are
 * exported before the invocation returns, within a deadline taken from the remaining time, and a
 * failure of tracing itself never reaches the handler's caller.
 *
 * A callback-style handler (three parameters) is called with a callback and turned into an
 * async one.
 *
 * @example
 * export const handler = traced(async (event: APIGatewayProxyEventV2) => {
 *   return { statusCode: 200, body: 'ok' };
 * });
 */
export function traced<TEvent = unknown, TResult = unknown>(
  handler: AsyncHandler<TEvent, TResult> | CallbackHandler<TEvent, TResult>,
): TracedHandler<TEvent, TResult> {
  if (typeof handler !== 'function') {
    throw new TypeError('traced(handler): handler must be a function');
  }
  if ((handler as unknown as Record<symbol, unknown>)[HANDLER_STREAMING] === STREAM_RESPONSE) {
    return tracedStreaming(handler as unknown as StreamingHandler<TEvent>) as unknown as TracedHandler<
      TEvent,
      TResult
    >;
  }
  const run = asAsync(handler);
  const runtime = tracingRuntime();
  if (!runtime) return run;
  return (event, lambdaContext) => invoke(runtime, run, event, lambdaContext);
}

/** A response-streaming handler, as `awslambda.streamifyResponse` takes it. */
type StreamingHandler<TEvent> = (
  event: TEvent,
  responseStream: NodeJS.WritableStream,
  context: Context,
) => unknown;

/**
 * A response-streaming handler, traced: called as Lambda calls it, `(event, responseStream,
 * context)`, with the marks `streamifyResponse` set copied onto the wrapper (without them Lambda
 * would call it as `(event, context)`). The stream is the handler's own: nothing is buffered. The
 * span ends when both the handler has settled and the stream has finished (or closed, or
 * failed); a thrown error or a stream error is recorded.
 */
function tracedStreaming<TEvent>(handler: StreamingHandler<TEvent>): StreamingHandler<TEvent> {
  const runtime = tracingRuntime();
  const wrapper: StreamingHandler<TEvent> = runtime
    ? (event, responseStream, lambdaContext) =>
        invoke(
          runtime,
          async (e: TEvent, c: Context) => {
            const ended = streamEnded(responseStream);
            const result = await handler(e, responseStream, c);
            await ended;
            return result;
          },
          event,
          lambdaContext,
        )
    : (event, responseStream, lambdaContext) => handler(event, responseStream, lambdaContext);
  const marks = wrapper as unknown as Record<symbol, unknown>;
  marks[HANDLER_STREAMING] = STREAM_RESPONSE;
  const highWaterMark = (handler as unknown as Record<symbol, unknown>)[HANDLER_HIGHWATERMARK];
  if (highWaterMark !== undefined) marks[HANDLER_HIGHWATERMARK] = highWaterMark;
  return wrapper;
}

/** Resolves when a writable stream has finished or closed; rejects with its error. */
function streamEnded(stream: NodeJS.WritableStream): Promise<void> {
  const s = stream as NodeJS.WritableStream & {
    writableFinished?: boolean;
    closed?: boolean;
    destroyed?: boolean;
  };
  if (typeof s?.once !== 'function' || s.writableFinished || s.closed || s.destroyed)
    return Promise.resolve();
  return new Promise((resolve, reject) => {
    s.once('finish', () => resolve());
    s.once('close', () => resolve());
    s.once('error', reject);
  });
}

async function invoke<TEvent, TResult>(
  runtime: TracingRuntime,
  run: TracedHandler<TEvent, TResult>,
  event: TEvent,
  lambdaContext: Context,
): Promise<TResult> {
  const state = newInvocation();
  const started = startInvocation(runtime, event, lambdaContext, state);
  if (!started) return run(event, lambdaContext);
  const { span, shape, rule } = started;
  const invocationTrace = span.spanContext().traceId;
  if (rule) state.alwaysKeptTraceIds.add(invocationTrace);
  try {
    const handlerContext = withInvocation(
      markAlwaysKeep(trace.setSpan(otelContext.active(), span), rule),
      state,
    );
    const result = await otelContext.with(handlerContext, () => run(event, lambdaContext));
    if (recordResult(span, shape, result)) state.failedTraceIds.add(invocationTrace);
    return result;
  } catch (error) {
    state.failedTraceIds.add(invocationTrace);
    recordFailure(span, error, 'handler-error');
    throw error;
  } finally {
    await endInvocation(runtime, started, state, lambdaContext);
  }
}

/** The invocation's span as it started: recorded, or held back until its trace is known to be kept. */
interface StartedInvocation {
  readonly span: Span;
  readonly shape: EventShape;
  readonly rule?: AlwaysKeepRule;
  /** For a held-back span: how to make the SDK span for it, if its trace is kept. */
  readonly deferred?: {
    readonly span: DeferredSpan;
    readonly name: string;
    /** Its kind, links and attributes: built only if it is made. */
    readonly options: () => SpanOptions;
    /** Its parent context, made only if it is. */
    readonly parent: () => OtelContext;
    /** The trace id to preset (a new trace: no valid parent). */
    readonly newTraceId?: string;
  };
}

function startInvocation(
  runtime: TracingRuntime,
  event: unknown,
  lambdaContext: Context,
  state: InvocationState,
): StartedInvocation | undefined {
  try {
    const shape = describeEvent(event);
    // The X-Ray header of this invocation: the context's (Lambda Managed Instances run several
    // invocations in one process and set no _X_AMZN_TRACE_ID), else the variable's.
    const fromContext = (lambdaContext as (Context & { xRayTraceId?: unknown }) | undefined)?.xRayTraceId;
    const xrayHeader =
      typeof fromContext === 'string' && fromContext !== '' ? fromContext : process.env._X_AMZN_TRACE_ID;
    // The invocation's state is in the parent context, so the span processor files the
    // invocation span, like every span started inside it, under this invocation.
    const remote = shape.parent ?? extractParent(shape.headers, xrayHeader);
    const rule = matchAlwaysKeep(runtime.config.alwaysKeep, shape) ?? tracestateRule(remote);
    const functionName = lambdaContext?.functionName ?? process.env.AWS_LAMBDA_FUNCTION_NAME;
    const name = shape.spanName ?? functionName ?? 'invocation';
    // Taken now, whether the span is made now or after the fact.
    const coldStart = takeColdStart();
    const options = (): SpanOptions => {
      const arn = parseFunctionArn(lambdaContext?.invokedFunctionArn);
      return {
        kind: shape.kind,
        links: shape.links?.(),
        attributes: {
          ...shape.attributes,
          [ATTR_FAAS_TRIGGER]: shape.trigger,
          [ATTR_FAAS_INVOCATION_ID]: lambdaContext?.awsRequestId,
          [ATTR_FAAS_COLDSTART]: coldStart,
          [ATTR_FAAS_NAME]: functionName,
          [ATTR_CLOUD_PROVIDER]: 'aws',
          [ATTR_CLOUD_REGION]: process.env.AWS_REGION ?? arn?.region,
          [ATTR_CLOUD_ACCOUNT_ID]: arn?.account,
          [ATTR_CLOUD_RESOURCE_ID]: arn?.resourceId,
          [ATTR_SAMPLING_RULE]: rule?.text,
        },
      };
    };

    // With keep-errors, a trace the head does not sample is exported only if it fails: its span
    // is held back (no SDK span, no attributes) and made after the fact only then.
    if (runtime.config.keepErrors && !rule) {
      const parentSpan = trace.getSpanContext(remote);
      const hasParent = parentSpan !== undefined && isSpanContextValid(parentSpan);
      const traceId = hasParent ? parentSpan.traceId : runtime.ids.newTraceId();
      // No rule: the remote context is all the decision reads (the invocation's state is not).
      const decision = runtime.config.decisionSampler.shouldSample(
        remote,
        traceId,
        name,
        shape.kind ?? SpanKind.INTERNAL,
        {},
        [],
      );
      if (decision.decision !== SamplingDecision.RECORD_AND_SAMPLED) {
        const span = new DeferredSpan({
          traceId,
          spanId: runtime.ids.newSpanId(),
          traceFlags: TraceFlags.NONE,
          traceState: decision.traceState ?? parentSpan?.traceState,
        });
        return {
          span,
          shape,
          deferred: {
            span,
            name,
            options,
            parent: () => withInvocation(remote, state),
            newTraceId: hasParent ? undefined : traceId,
          },
        };
      }
      // Sampled: the SDK span gets the trace id the decision was made on.
      if (!hasParent) runtime.ids.presetNextTraceId(traceId);
    }
    const parent = withInvocation(markAlwaysKeep(remote, rule), state);
    try {
      return { span: runtime.tracer.startSpan(name, options(), parent), shape, rule };
    } finally {
      runtime.ids.clearPresets();
    }
  } catch (error) {
    warnOnce('start', 'starting the invocation span failed; this invocation runs untraced', error);
    return undefined;
  }
}

/**
 * Records the handler's result on the span; returns whether it is a failure: an HTTP 5xx, or a
 * batch response that reports failed records.
 */
function recordResult(span: Span, shape: EventShape, result: unknown): boolean {
  try {
    if (shape.sqsBatch) return recordBatchResult(span, result);
    if (!shape.http) return false;
    const status = httpStatusOf(result);
    if (status === undefined) return false;
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    if (status >= 500) {
      span.setAttribute(ATTR_ERROR_TYPE, String(status));
      span.setStatus({ code: SpanStatusCode.ERROR });
      return true;
    }
  } catch (error) {
    warnOnce('result', 'recording the handler result failed', error);
  }
  return false;
}

function recordBatchResult(span: Span, result: unknown): boolean {
  const failures = (result as { batchItemFailures?: unknown } | undefined)?.batchItemFailures;
  if (!Array.isArray(failures) || failures.length === 0) return false;
  span.setAttribute(ATTR_BATCH_ITEM_FAILURES, failures.length);
  span.setStatus({ code: SpanStatusCode.ERROR, message: `${failures.length} record(s) failed` });
  return true;
}

/** No trace kept: what most invocations end with, one set for all. */
const NONE_KEPT: ReadonlySet<string> = new Set();

async function endInvocation(
  runtime: TracingRuntime,
  started: StartedInvocation,
  state: InvocationState,
  lambdaContext: Context,
): Promise<void> {
  try {
    started.span.end();
    endOpenClientSpans(state);
    // The traces this invocation keeps: those a rule kept, and those it failed in (keep errors).
    const failed = runtime.config.keepErrors && state.failedTraceIds.size > 0;
    const kept: ReadonlySet<string> =
      state.alwaysKeptTraceIds.size === 0 && !failed
        ? NONE_KEPT
        : new Set([...state.alwaysKeptTraceIds, ...(failed ? state.failedTraceIds : [])]);
    const deferred = started.deferred;
    if (deferred && kept.has(deferred.span.spanContext().traceId)) makeDeferredSpan(runtime, deferred);
    // Whatever happened to the invocation's own span, the spans started under it go out.
    await runtime.processor.flushInvocation({
      spans: state.spans,
      keptTraceIds: kept,
      samplingPriority: runtime.config.samplingPriority,
      deadlineMs: flushDeadline(runtime.config.flushTimeoutMs, lambdaContext),
    });
  } catch (error) {
    warnOnce('flush', 'exporting the invocation spans failed', error);
  }
}

/**
 * The SDK span of a held-back invocation span whose trace is kept: the same ids and start time,
 * recorded and not sampled, with everything done to it replayed, ended when it ended.
 */
function makeDeferredSpan(
  runtime: TracingRuntime,
  deferred: NonNullable<StartedInvocation['deferred']>,
): void {
  const { span, name, options, parent, newTraceId } = deferred;
  try {
    if (newTraceId !== undefined) runtime.ids.presetNextTraceId(newTraceId);
    runtime.ids.presetNextSpanId(span.spanContext().spanId);
    const made = runtime.tracer.startSpan(
      name,
      { ...options(), startTime: span.startTime },
      markRecordOnly(parent()),
    );
    span.replayOnto(made);
  } catch (error) {
    warnOnce(
      'deferred-span',
      "making a failed invocation's span failed; the spans under it are still exported",
      error,
    );
  } finally {
    runtime.ids.clearPresets();
  }
}

/** The flush deadline: the configured timeout, but never past the function's own timeout. */
function flushDeadline(flushTimeoutMs: number, lambdaContext: Context): number {
  const remaining =
    typeof lambdaContext?.getRemainingTimeInMillis === 'function'
      ? lambdaContext.getRemainingTimeInMillis()
      : Number.POSITIVE_INFINITY;
  return Math.max(0, Math.min(flushTimeoutMs, remaining - FLUSH_RESERVE_MS));
}

/** `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`. */
function parseFunctionArn(
  arn: string | undefined,
): { region: string; account: string; resourceId: string } | undefined {
  if (typeof arn !== 'string') return undefined;
  const parts = arn.split(':');
  if (parts.length < 7 || parts[0] !== 'arn' || parts[2] !== 'lambda') return undefined;
  // cloud.resource_id is the function's ARN without the alias or version it was invoked with.
  return { region: parts[3], account: parts[4], resourceId: parts.slice(0, 7).join(':') };
}

function asAsync<TEvent, TResult>(
  handler: AsyncHandler<TEvent, TResult> | CallbackHandler<TEvent, TResult>,
): TracedHandler<TEvent, TResult> {
  if (handler.length < 3) {
    const asyncHandler = handler as AsyncHandler<TEvent, TResult>;
    return async (event, lambdaContext) => asyncHandler(event, lambdaContext);
  }
  const callbackHandler = handler as CallbackHandler<TEvent, TResult>;
  return (event, lambdaContext) =>
    new Promise<TResult>((resolve, reject) => {
      const callback = (error?: Error | string | null, result?: TResult) => {
        if (error !== undefined && error !== null) reject(error);
        else resolve(result as TResult);
      };
      const returned: unknown = callbackHandler(event, lambdaContext, callback);
      if (returned && typeof (returned as Promise<TResult>).then === 'function') {
        (returned as Promise<TResult>).then(resolve, reject);
      }
    });
}
