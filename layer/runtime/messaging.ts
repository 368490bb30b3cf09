import {
  ROOT_CONTEXT,
  TraceFlags,
  trace,
  type Context,
  type Link,
  type TextMapGetter,
} from '@opentelemetry/api';
import { AWSXRayPropagator, AWSXRAY_TRACE_ID_HEADER } from '@opentelemetry/propagator-aws-xray';
import { w3cPropagator } from './propagation';

/**
 * Where the trace context of messages travels, and how the consumer side finds it again.
 *
 * - SQS message attributes `traceparent`/`tracestate` (a producer's `SendMessage`, or an SNS
 *   message delivered to SQS with raw delivery): `record.messageAttributes.traceparent.stringValue`.
 * - SNS message attributes: `record.Sns.MessageAttributes.traceparent.Value` (SNS → Lambda), or
 *   the same inside the SNS envelope JSON in an SQS body (SNS → SQS without raw delivery).
 * - EventBridge: the reserved field `detail._tracecontext` (no message attributes there), which
 *   the runtime removes before the handler sees the event.
 * - The SQS system attribute `AWSTraceHeader` (X-Ray format), when no W3C context is present and
 *   it says `Sampled=1` — or whatever it says when the message's 10 attributes left no room for
 *   `traceparent` (`traceAwsClient` puts the context there then).
 */

/** The reserved field of an EventBridge `Detail` that carries the trace context. */
export const EVENTBRIDGE_CONTEXT_FIELD = '_tracecontext';

/** Where a message's context came from. */
export type ContextSource = 'message-attributes' | 'sns-envelope' | 'eventbridge-detail' | 'aws-trace-header';

/** A message's parent context, if it carries one. */
export interface MessageContext {
  readonly context: Context;
  readonly source: ContextSource;
}

type Json = Record<string, unknown>;
type Carrier = Record<string, string>;

const getter: TextMapGetter<Carrier> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};
const xray = new AWSXRayPropagator();
const cache = new WeakMap<object, MessageContext | null>();

/** The W3C context in a carrier, or undefined when it is missing or malformed. */
function w3cContext(carrier: Carrier): Context | undefined {
  if (!carrier.traceparent) return undefined;
  const context = w3cPropagator.extract(ROOT_CONTEXT, carrier, getter);
  return trace.getSpanContext(context) ? context : undefined;
}

/**
 * An X-Ray header (`Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=0|1`) as a context: the same
 * 32-hex trace id and span id as the W3C context it was written from, and its sampling decision.
 * A header that says `Sampled=0` is ignored (as for `_X_AMZN_TRACE_ID`: Lambda writes one with
 * X-Ray off) unless `unsampledToo`, when the header is known to carry a producer's context.
 */
export function xrayContext(header: unknown, unsampledToo = false): Context | undefined {
  if (typeof header !== 'string' || header === '') return undefined;
  const context = xray.extract(ROOT_CONTEXT, { [AWSXRAY_TRACE_ID_HEADER]: header }, getter);
  const spanContext = trace.getSpanContext(context);
  if (!spanContext) return undefined;
  return unsampledToo || (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED
    ? context
    : undefined;
}

/** SQS accepts at most this many message attributes per message. */
const SQS_MAX_MESSAGE_ATTRIBUTES = 10;

/**
 * Whether a record's message attributes leave no room for `traceparent`: then `traceAwsClient`
 * put the producer's context into `AWSTraceHeader` instead, whatever its sampling decision.
 */
function attributeBudgetFull(attributes: unknown): boolean {
  if (!isObject(attributes)) return false;
  const names = Object.keys(attributes);
  return (
    names.length >= SQS_MAX_MESSAGE_ATTRIBUTES && !names.some((name) => name.toLowerCase() === 'traceparent')
  );
}

/**
 * Reads `traceparent`/`tracestate` from a map of message attributes, whatever the casing of the
 * value key (`stringValue` in SQS events, `Value` in SNS, `StringValue` in SDK inputs).
 */
function attributeCarrier(attributes: unknown): Carrier {
  const carrier: Carrier = {};
  if (!isObject(attributes)) return carrier;
  for (const name of ['traceparent', 'tracestate']) {
    const attribute = attributes[name];
    if (!isObject(attribute)) continue;
    const value = attribute.stringValue ?? attribute.Value ?? attribute.StringValue;
    if (typeof value === 'string') carrier[name] = value;
  }
  return carrier;
}

/** The context of an SQS record: attributes, then an SNS envelope body, then `AWSTraceHeader`. */
export function sqsRecordContext(record: unknown): MessageContext | undefined {
  if (!isObject(record)) return undefined;
  const cached = cache.get(record);
  if (cached !== undefined) return cached ?? undefined;
  const found = findSqsRecordContext(record);
  cache.set(record, found ?? null);
  return found;
}

function findSqsRecordContext(record: Json): MessageContext | undefined {
  const fromAttributes = w3cContext(attributeCarrier(record.messageAttributes));
  if (fromAttributes) return { context: fromAttributes, source: 'message-attributes' };
  const body = record.body;
  // Cheap test before parsing: only an SNS envelope (raw delivery off) or an EventBridge event
  // (EventBridge → SQS) can carry context in the body.
  if (typeof body === 'string' && body.startsWith('{') && body.includes('trace')) {
    const parsed = parseJson(body);
    if (isObject(parsed)) {
      if (parsed.Type === 'Notification' && typeof parsed.TopicArn === 'string') {
        const fromEnvelope = w3cContext(attributeCarrier(parsed.MessageAttributes));
        if (fromEnvelope) return { context: fromEnvelope, source: 'sns-envelope' };
      } else if (isObject(parsed.detail)) {
        const fromDetail = w3cContext(detailCarrier(parsed.detail));
        if (fromDetail) return { context: fromDetail, source: 'eventbridge-detail' };
      }
    }
  }
  // AWSTraceHeader counts when it says Sampled=1, or whatever it says when the message had no
  // room for traceparent (a traced producer carried its context there, sampled or not). On
  // another message a Sampled=0 header is what SQS copied from Lambda's own X-Ray header with
  // X-Ray off: it would silence the consumer, and is ignored.
  const attributes = isObject(record.attributes) ? record.attributes : {};
  const fromXray = xrayContext(attributes.AWSTraceHeader, attributeBudgetFull(record.messageAttributes));
  return fromXray ? { context: fromXray, source: 'aws-trace-header' } : undefined;
}

/** The context of an SNS record delivered to Lambda. */
export function snsRecordContext(record: unknown): MessageContext | undefined {
  if (!isObject(record) || !isObject(record.Sns)) return undefined;
  const context = w3cContext(attributeCarrier(record.Sns.MessageAttributes));
  return context ? { context, source: 'message-attributes' } : undefined;
}

/**
 * The context of an EventBridge event, from `detail._tracecontext`. Only the library's own, well
 * formed field (an object of `traceparent` and an optional `tracestate`, strings, with a valid
 * `traceparent`) is read and removed from the event, so the handler sees the detail the producer
 * sent; any other value of that field is the user's, left as it is and not read.
 */
export function takeEventBridgeContext(event: Json): MessageContext | undefined {
  const detail = event.detail;
  if (!isObject(detail) || !(EVENTBRIDGE_CONTEXT_FIELD in detail)) return undefined;
  const field = detail[EVENTBRIDGE_CONTEXT_FIELD];
  const ours =
    isObject(field) &&
    typeof field.traceparent === 'string' &&
    (field.tracestate === undefined || typeof field.tracestate === 'string') &&
    Object.keys(field).every((key) => key === 'traceparent' || key === 'tracestate');
  if (!ours) return undefined;
  const context = w3cContext(detailCarrier(detail));
  if (!context) return undefined;
  delete detail[EVENTBRIDGE_CONTEXT_FIELD];
  return { context, source: 'eventbridge-detail' };
}

function detailCarrier(detail: Json): Carrier {
  const field = detail[EVENTBRIDGE_CONTEXT_FIELD];
  const carrier: Carrier = {};
  if (isObject(field)) {
    if (typeof field.traceparent === 'string') carrier.traceparent = field.traceparent;
    if (typeof field.tracestate === 'string') carrier.tracestate = field.tracestate;
  }
  return carrier;
}

/** One link per SQS record that carries context, to put on the batch's invocation span. */
export function recordLinks(records: unknown[]): Link[] {
  const links: Link[] = [];
  for (const record of records) {
    const found = sqsRecordContext(record);
    const spanContext = found && trace.getSpanContext(found.context);
    if (!spanContext) continue;
    const messageId = isObject(record) && typeof record.messageId === 'string' ? record.messageId : undefined;
    links.push({ context: spanContext, attributes: messageId ? { 'messaging.message.id': messageId } : {} });
  }
  return links;
}

/** The last part of an ARN (`…:queue-name`, `…:topic-name`). */
export function arnName(arn: unknown): string | undefined {
  if (typeof arn !== 'string' || arn === '') return undefined;
  return arn.slice(arn.lastIndexOf(':') + 1) || undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
