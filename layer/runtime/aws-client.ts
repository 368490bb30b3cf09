import { SpanKind, SpanStatusCode, context, trace, type Attributes, type Span } from '@opentelemetry/api';
import { AWSXRayPropagator, AWSXRAY_TRACE_ID_HEADER } from '@opentelemetry/propagator-aws-xray';
import { isObject, traceCall, type Json, type MiddlewareContext, type MiddlewareNext } from './aws-call';
import { warnOnce } from './diagnostics';
import { recordFailure } from './errors';
import { EVENTBRIDGE_CONTEXT_FIELD, arnName } from './messaging';
import { w3cPropagator } from './propagation';
import {
  ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_RPC_METHOD,
  ATTR_RPC_SERVICE,
  ATTR_RPC_SYSTEM,
  EVENT_CONTEXT_IN_AWS_TRACE_HEADER,
  EVENT_CONTEXT_NOT_INJECTED,
} from './semconv';
import { tracingRuntime } from './tracing';

/** SQS and SNS accept at most this many message attributes per message. */
export const MAX_MESSAGE_ATTRIBUTES = 10;

/** EventBridge accepts at most 256 KB per entry; context is not added to an entry near it. */
const MAX_EVENTBRIDGE_ENTRY_BYTES = 256 * 1024;

/** The name the middleware is added under (adding it twice replaces it). */
export const MIDDLEWARE_NAME = 'cdkServerlessTracingPropagation';

/**
 * The part of an AWS SDK v3 client `traceAwsClient` uses: its middleware stack (typed loosely so
 * that every client's overloaded `add` fits without a dependency on the SDK's types).
 */
export interface AwsClientLike {
  readonly middlewareStack: { add: (...args: never[]) => void };
}

/** The overload of `middlewareStack.add` used here: an initialize-step middleware. */
type AddInitializeMiddleware = (
  middleware: (next: MiddlewareNext, context: MiddlewareContext) => MiddlewareNext,
  options: { step: 'initialize'; name: string; override: boolean; tags?: string[] },
) => void;

interface MessageAttributeValue {
  readonly DataType?: string;
  readonly StringValue?: string;
}

type MessageAttributes = Record<string, MessageAttributeValue>;

const xray = new AWSXRayPropagator();

/**
 * Adds a middleware to an AWS SDK v3 client (no patching) that traces its calls.
 *
 * - Messages carry the trace context: for SQS `SendMessage`/`SendMessageBatch`, SNS
 *   `Publish`/`PublishBatch` and EventBridge `PutEvents`, it starts a PRODUCER span and puts
 *   `traceparent` (and `tracestate` when there is one) into each message's attributes — for
 *   EventBridge into the reserved `_tracecontext` field of `Detail`, which the consumer side
 *   removes. An SQS message whose 10 attributes leave no room gets the context in its
 *   `AWSTraceHeader` message system attribute instead (X-Ray format, outside that budget), unless
 *   it has its own; an SNS message has no such carrier and is sent as it is.
 * - Every other command is a CLIENT span, `<Service>.<Operation>` (`DynamoDB.PutItem`), with the
 *   attributes of the OpenTelemetry conventions for AWS SDK calls (`rpc.*`, `cloud.region`,
 *   `aws.request_id`, `http.response.status_code`, and per service e.g.
 *   `aws.dynamodb.table_names`, `aws.s3.bucket`), never a payload.
 *
 * It never breaks a call: the result or the error goes back as it came; a message that already
 * has a `traceparent`, or has no room for one, is sent without it and the span records why; the
 * caller's input object is never modified. Outside an invocation a call passes through
 * untouched. Returns the client.
 *
 * @example
 * const sns = traceAwsClient(new SNSClient({}));
 */
export function traceAwsClient<C extends AwsClientLike>(client: C): C {
  const add = client.middlewareStack.add.bind(client.middlewareStack) as unknown as AddInitializeMiddleware;
  add((next, middlewareContext) => (args) => send(next, middlewareContext, args, client), {
    step: 'initialize',
    name: MIDDLEWARE_NAME,
    override: true,
    tags: ['TRACING'],
  });
  return client;
}

interface Operation {
  readonly system: 'aws_sqs' | 'aws.sns' | 'aws.eventbridge';
  readonly service: 'SQS' | 'SNS' | 'EventBridge';
  readonly method: string;
  readonly verb: 'send' | 'publish';
  /** Returns the input with context added to each message, recording skips on the span. */
  readonly inject: (input: Json, carrier: Record<string, string>, span: Span) => Json;
  readonly destination: (input: Json) => string | undefined;
  readonly count: (input: Json) => number | undefined;
  readonly messageId: (output: Json) => string | undefined;
}

const OPERATIONS: Record<string, Operation> = {
  'SQSClient:SendMessageCommand': {
    system: 'aws_sqs',
    service: 'SQS',
    method: 'SendMessage',
    verb: 'send',
    inject: (input, carrier, span) => withSqsContext(input, carrier, span, undefined),
    destination: (input) => queueName(input.QueueUrl),
    count: () => undefined,
    messageId: (output) => str(output.MessageId),
  },
  'SQSClient:SendMessageBatchCommand': {
    system: 'aws_sqs',
    service: 'SQS',
    method: 'SendMessageBatch',
    verb: 'send',
    inject: (input, carrier, span) => ({
      ...input,
      Entries: mapEntries(input.Entries, (entry) => withSqsContext(entry, carrier, span, str(entry.Id))),
    }),
    destination: (input) => queueName(input.QueueUrl),
    count: (input) => (Array.isArray(input.Entries) ? input.Entries.length : undefined),
    messageId: () => undefined,
  },
  'SNSClient:PublishCommand': {
    system: 'aws.sns',
    service: 'SNS',
    method: 'Publish',
    verb: 'publish',
    // An SMS (PhoneNumber) has no consumer to read the context: it is sent as it is.
    inject: (input, carrier, span) =>
      input.PhoneNumber
        ? input
        : { ...input, MessageAttributes: withContext(input.MessageAttributes, carrier, span, undefined) },
    destination: (input) => arnName(input.TopicArn ?? input.TargetArn),
    count: () => undefined,
    messageId: (output) => str(output.MessageId),
  },
  'SNSClient:PublishBatchCommand': {
    system: 'aws.sns',
    service: 'SNS',
    method: 'PublishBatch',
    verb: 'publish',
    inject: (input, carrier, span) => ({
      ...input,
      PublishBatchRequestEntries: mapEntries(input.PublishBatchRequestEntries, (entry) => ({
        ...entry,
        MessageAttributes: withContext(entry.MessageAttributes, carrier, span, str(entry.Id)),
      })),
    }),
    destination: (input) => arnName(input.TopicArn),
    count: (input) =>
      Array.isArray(input.PublishBatchRequestEntries) ? input.PublishBatchRequestEntries.length : undefined,
    messageId: () => undefined,
  },
  'EventBridgeClient:PutEventsCommand': {
    system: 'aws.eventbridge',
    service: 'EventBridge',
    method: 'PutEvents',
    verb: 'publish',
    inject: (input, carrier, span) => ({
      ...input,
      Entries: mapEntries(input.Entries, (entry, index) => withDetailContext(entry, carrier, span, index)),
    }),
    destination: (input) => {
      const first = Array.isArray(input.Entries) && isObject(input.Entries[0]) ? input.Entries[0] : {};
      return arnName(first.EventBusName) ?? 'default';
    },
    count: (input) => (Array.isArray(input.Entries) ? input.Entries.length : undefined),
    messageId: () => undefined,
  },
};

async function send(
  next: MiddlewareNext,
  middlewareContext: MiddlewareContext,
  args: { input: unknown },
  client: unknown,
): Promise<{ output: unknown }> {
  const operation = messagingOperation(middlewareContext);
  if (!operation) return traceCall(next, middlewareContext, args, client);
  const started = startProducer(operation, args);
  if (!started) return next(args);
  const { span, nextArgs } = started;
  try {
    const result = await context.with(trace.setSpan(context.active(), span), () => next(nextArgs));
    try {
      const messageId = isObject(result.output) ? operation.messageId(result.output) : undefined;
      if (messageId) span.setAttribute(ATTR_MESSAGING_MESSAGE_ID, messageId);
      const failed =
        isObject(result.output) && Array.isArray(result.output.Failed) ? result.output.Failed.length : 0;
      const failedCount = isObject(result.output) ? Number(result.output.FailedEntryCount ?? 0) : 0;
      if (failed > 0 || failedCount > 0) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: `${failed || failedCount} entries failed` });
      }
    } catch (error) {
      warnOnce('producer-result', 'recording a send result failed', error);
    }
    return result;
  } catch (error) {
    recordFailure(span, error, 'producer-error');
    throw error;
  } finally {
    span.end();
  }
}

/** The messaging operation of a call, if it sends messages (else it gets a CLIENT span). */
function messagingOperation(middlewareContext: MiddlewareContext): Operation | undefined {
  try {
    const key = `${middlewareContext.clientName}:${middlewareContext.commandName}`;
    return Object.prototype.hasOwnProperty.call(OPERATIONS, key) ? OPERATIONS[key] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts the PRODUCER span and builds the input with context, or returns undefined to pass the
 * call through untouched: no input, no invocation in progress, or any failure.
 */
function startProducer(
  operation: Operation,
  args: { input: unknown },
): { span: Span; nextArgs: { input: unknown } } | undefined {
  let span: Span | undefined;
  try {
    if (!isObject(args.input)) return undefined;
    const active = context.active();
    if (!trace.getSpanContext(active)) return undefined;
    const runtime = tracingRuntime();
    if (!runtime) return undefined;
    const input = args.input;
    const destination = operation.destination(input);
    const attributes: Attributes = {
      [ATTR_MESSAGING_SYSTEM]: operation.system,
      [ATTR_MESSAGING_OPERATION_TYPE]: 'send',
      [ATTR_MESSAGING_OPERATION_NAME]: operation.verb,
      [ATTR_RPC_SYSTEM]: 'aws-api',
      [ATTR_RPC_SERVICE]: operation.service,
      [ATTR_RPC_METHOD]: operation.method,
    };
    if (destination) attributes[ATTR_MESSAGING_DESTINATION_NAME] = destination;
    const count = operation.count(input);
    if (count !== undefined) attributes[ATTR_MESSAGING_BATCH_MESSAGE_COUNT] = count;
    span = runtime.tracer.startSpan(
      destination ? `${operation.verb} ${destination}` : operation.verb,
      { kind: SpanKind.PRODUCER, attributes },
      active,
    );
    const carrier: Record<string, string> = {};
    const setter = {
      set: (target: Record<string, string>, key: string, value: string) => (target[key] = value),
    };
    w3cPropagator.inject(trace.setSpan(active, span), carrier, setter);
    // The same context in X-Ray format (`x-amzn-trace-id`), for an SQS message with no room left.
    xray.inject(trace.setSpan(active, span), carrier, setter);
    return { span, nextArgs: { ...args, input: operation.inject(input, carrier, span) } };
  } catch (error) {
    warnOnce('producer', 'adding trace context to a message failed; it is sent as it is', error);
    span?.end();
    return undefined;
  }
}

/**
 * The message attributes with `traceparent` (and `tracestate`) added, within the limit of 10.
 * A message that already has a `traceparent` keeps it; one with no room is left as it is; in
 * both cases the span gets an event that says why.
 */
function withContext(
  attributes: unknown,
  carrier: Record<string, string>,
  span: Span,
  entryId: string | undefined,
): MessageAttributes | undefined {
  const existing = isObject(attributes) ? (attributes as MessageAttributes) : undefined;
  const names = existing ? Object.keys(existing) : [];
  const skip = (reason: string) => {
    notInjected(span, reason, entryId);
    return existing;
  };
  if (names.some((name) => name.toLowerCase() === 'traceparent'))
    return skip('message already has a traceparent');
  if (names.length + 1 > MAX_MESSAGE_ATTRIBUTES) {
    return skip(
      `message has ${names.length} attributes; traceparent would pass the limit of ${MAX_MESSAGE_ATTRIBUTES}`,
    );
  }
  const result: MessageAttributes = {
    ...existing,
    traceparent: { DataType: 'String', StringValue: carrier.traceparent },
  };
  if (carrier.tracestate) {
    if (names.length + 2 <= MAX_MESSAGE_ATTRIBUTES) {
      result.tracestate = { DataType: 'String', StringValue: carrier.tracestate };
    } else {
      skip(`tracestate left out: it would pass the limit of ${MAX_MESSAGE_ATTRIBUTES} attributes`);
    }
  }
  return result;
}

/**
 * An SQS message (a `SendMessage` input or a `SendMessageBatch` entry) with the context: in its
 * attributes when `traceparent` fits; else, when its 10 attributes leave no room, in the
 * `AWSTraceHeader` message system attribute, which SQS keeps outside that budget (the consumer
 * reads it back as the same trace and span id, sampled or not). A message with its own
 * `AWSTraceHeader` keeps it, and is sent without context.
 */
function withSqsContext(
  message: Json,
  carrier: Record<string, string>,
  span: Span,
  entryId: string | undefined,
): Json {
  const header = carrier[AWSXRAY_TRACE_ID_HEADER];
  const attributes = message.MessageAttributes;
  const names = isObject(attributes) ? Object.keys(attributes) : [];
  const full =
    names.length + 1 > MAX_MESSAGE_ATTRIBUTES && !names.some((name) => name.toLowerCase() === 'traceparent');
  if (!header || !full) {
    return { ...message, MessageAttributes: withContext(attributes, carrier, span, entryId) };
  }
  const reason = `message has ${names.length} attributes; traceparent would pass the limit of ${MAX_MESSAGE_ATTRIBUTES}`;
  const system = isObject(message.MessageSystemAttributes) ? message.MessageSystemAttributes : undefined;
  if (system && Object.keys(system).some((name) => name.toLowerCase() === 'awstraceheader')) {
    notInjected(span, `${reason}, and it has its own AWSTraceHeader`, entryId);
    return message;
  }
  span.addEvent(EVENT_CONTEXT_IN_AWS_TRACE_HEADER, {
    reason: carrier.tracestate ? `${reason}; AWSTraceHeader cannot carry tracestate` : reason,
    ...(entryId ? { 'messaging.batch.entry_id': entryId } : {}),
  });
  return {
    ...message,
    MessageSystemAttributes: { ...system, AWSTraceHeader: { DataType: 'String', StringValue: header } },
  };
}

function notInjected(span: Span, reason: string, entryId: string | undefined): void {
  span.addEvent(EVENT_CONTEXT_NOT_INJECTED, {
    reason,
    ...(entryId ? { 'messaging.batch.entry_id': entryId } : {}),
  });
}

/** An EventBridge entry with the context in `Detail._tracecontext`, when Detail is a JSON object. */
function withDetailContext(entry: Json, carrier: Record<string, string>, span: Span, index: number): Json {
  const skip = (reason: string) => {
    span.addEvent(EVENT_CONTEXT_NOT_INJECTED, { reason, 'messaging.batch.entry_index': index });
    return entry;
  };
  if (typeof entry.Detail !== 'string') return skip('entry has no Detail');
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail);
  } catch {
    return skip('Detail is not JSON');
  }
  if (!isObject(detail)) return skip('Detail is not a JSON object');
  if (EVENTBRIDGE_CONTEXT_FIELD in detail) return skip(`Detail already has ${EVENTBRIDGE_CONTEXT_FIELD}`);
  const field: Record<string, string> = { traceparent: carrier.traceparent };
  if (carrier.tracestate) field.tracestate = carrier.tracestate;
  const withField = JSON.stringify({ ...detail, [EVENTBRIDGE_CONTEXT_FIELD]: field });
  const size =
    Buffer.byteLength(withField) +
    Buffer.byteLength(String(entry.DetailType ?? '')) +
    Buffer.byteLength(String(entry.Source ?? ''));
  if (size > MAX_EVENTBRIDGE_ENTRY_BYTES) return skip('the entry would pass the 256 KB limit');
  return { ...entry, Detail: withField };
}

function mapEntries(entries: unknown, map: (entry: Json, index: number) => Json): unknown {
  if (!Array.isArray(entries)) return entries;
  return entries.map((entry, index) => (isObject(entry) ? map(entry, index) : entry));
}

function queueName(url: unknown): string | undefined {
  if (typeof url !== 'string' || url === '') return undefined;
  return url.slice(url.lastIndexOf('/') + 1) || undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
