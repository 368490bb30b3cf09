import { ROOT_CONTEXT, TraceFlags, trace, type Context, type TextMapGetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AWSXRayPropagator, AWSXRAY_TRACE_ID_HEADER } from '@opentelemetry/propagator-aws-xray';

/** Header names in lower case, each with its first value (see `headerMap` in `event.ts`). */
export type HeaderMap = Record<string, string>;

const w3c = new W3CTraceContextPropagator();
const xray = new AWSXRayPropagator();

/** Reads a lower-cased header map (see `headerMap`). */
export const headerGetter: TextMapGetter<HeaderMap> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key.toLowerCase()],
};

/** The W3C propagator, for injection into outgoing requests and messages. */
export const w3cPropagator = w3c;

/**
 * The parent of an invocation.
 *
 * 1. A valid W3C `traceparent` (with its `tracestate`) in the headers.
 * 2. Otherwise the Lambda X-Ray header (`_X_AMZN_TRACE_ID`), but only when it says `Sampled=1`:
 *    with X-Ray tracing off Lambda still sets it, with `Sampled=0`, and that must neither silence
 *    the trace nor replace a W3C parent.
 * 3. Otherwise no parent: the invocation starts a new trace.
 *
 * Malformed values (wrong length, bad hex, all-zero ids, version `ff`) are ignored by the
 * propagators, never thrown.
 */
export function extractParent(headers: HeaderMap | undefined, xrayHeader: string | undefined): Context {
  if (headers && headers.traceparent !== undefined) {
    const context = w3c.extract(ROOT_CONTEXT, headers, headerGetter);
    if (trace.getSpanContext(context)) return context;
  }
  if (xrayHeader) {
    const context = xray.extract(ROOT_CONTEXT, { [AWSXRAY_TRACE_ID_HEADER]: xrayHeader }, headerGetter);
    const spanContext = trace.getSpanContext(context);
    if (spanContext && (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED) return context;
  }
  return ROOT_CONTEXT;
}
