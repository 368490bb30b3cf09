import {
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Attributes,
  type Context,
  type Link,
  type SpanContext,
} from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import {
  arnName,
  recordLinks,
  snsRecordContext,
  sqsRecordContext,
  takeEventBridgeContext,
} from './messaging';
import {
  ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  type FaasTrigger,
} from './semconv';
import type { HeaderMap } from './propagation';

/** What the runtime learns from an event before the handler runs. */
export interface EventShape {
  /** `faas.trigger`. */
  readonly trigger: FaasTrigger;
  /** Whether the event is an HTTP request (API Gateway, ALB, function URL). */
  readonly http: boolean;
  /** The span kind of the invocation span. */
  readonly kind: SpanKind;
  /** The span name, e.g. `POST /payments`; undefined means the function name. */
  readonly spanName?: string;
  /** Attributes known from the event. */
  readonly attributes: Attributes;
  /** The request headers, when the event carries any. */
  readonly headers?: HeaderMap;
  /** The parent carried by the event itself (an SNS message, an EventBridge event). */
  readonly parent?: Context;
  /** Links to the messages of a batch (SQS): made only when the invocation's span is. */
  readonly links?: () => Link[];
  /** Whether the event is a batch of SQS records (`processRecords` applies). */
  readonly sqsBatch?: boolean;
  /**
   * What an always-keep `route:` rule is matched against: the request's method and its paths (the
   * route template or route key, `$default` included, and the path as requested).
   */
  readonly route?: { readonly method?: string; readonly paths: readonly string[] };
  /** The ARNs of the queues an SQS batch came from (what a `queue:` rule matches), when asked. */
  readonly queueArns?: () => readonly string[];
}

type Json = Record<string, unknown>;

const OTHER: EventShape = { trigger: 'other', http: false, kind: SpanKind.SERVER, attributes: {} };

/**
 * Recognises the event sources whose shape the runtime understands. An event of any other shape
 * (or no object at all) is an `other` trigger with no attributes; this function never throws.
 */
export function describeEvent(event: unknown): EventShape {
  if (!isObject(event)) return OTHER;
  const requestContext = isObject(event.requestContext) ? event.requestContext : undefined;
  if (requestContext && isObject(requestContext.http) && typeof event.version === 'string') {
    return httpApiV2(event, requestContext, requestContext.http);
  }
  if (requestContext && isObject(requestContext.elb)) return alb(event);
  if (typeof event.httpMethod === 'string' && (requestContext || typeof event.resource === 'string')) {
    return restApi(event, requestContext);
  }
  const records = Array.isArray(event.Records) ? event.Records : undefined;
  if (records && records.length > 0 && isObject(records[0])) {
    const source = String(records[0].eventSource ?? records[0].EventSource ?? '');
    if (source === 'aws:sqs') return sqsBatch(records);
    if (source === 'aws:sns') return snsNotification(records[0]);
    if (source === 'aws:s3' || source === 'aws:dynamodb' || source === 'aws:kinesis') {
      return { ...OTHER, trigger: 'datasource' };
    }
  }
  if (typeof event['detail-type'] === 'string' && typeof event.source === 'string') {
    if (event.source === 'aws.events' && event['detail-type'] === 'Scheduled Event') {
      return { ...OTHER, trigger: 'timer' };
    }
    return eventBridgeEvent(event);
  }
  if (isObject(event.headers)) return { ...OTHER, headers: headerMap(event.headers, undefined) };
  return OTHER;
}

/**
 * A batch of SQS records: a CONSUMER span named after the queue, linked to the context of every
 * record that carries one. When those contexts all belong to one trace (a batch of one among
 * them), the first is also the span's parent, so a consumer that does not use `processRecords`
 * still continues its producer's trace; a batch that mixes traces has no parent (it is linked).
 */
function sqsBatch(records: unknown[]): EventShape {
  const queue = arnName((records[0] as Json).eventSourceARN);
  // The records' contexts decide the parent (and so the sampling decision); the links are made
  // from them (cached per record) only if the span is.
  let first: SpanContext | undefined; // of the first record that carries a context
  let oneTrace = true;
  for (const record of records) {
    const found = sqsRecordContext(record);
    const spanContext = found && trace.getSpanContext(found.context);
    if (!spanContext) continue;
    first ??= spanContext;
    if (spanContext.traceId !== first.traceId) oneTrace = false;
  }
  let queueArns: readonly string[] | undefined;
  return {
    trigger: 'pubsub',
    http: false,
    kind: SpanKind.CONSUMER,
    spanName: queue ? `process ${queue}` : undefined,
    attributes: withoutUndefined({
      [ATTR_MESSAGING_SYSTEM]: 'aws_sqs',
      [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
      [ATTR_MESSAGING_OPERATION_NAME]: 'process',
      [ATTR_MESSAGING_DESTINATION_NAME]: queue,
      [ATTR_MESSAGING_BATCH_MESSAGE_COUNT]: records.length,
    }),
    links: () => recordLinks(records),
    parent: first && oneTrace ? trace.setSpanContext(ROOT_CONTEXT, first) : undefined,
    sqsBatch: true,
    queueArns: () =>
      (queueArns ??= [
        ...new Set(records.map((r) => (isObject(r) ? str(r.eventSourceARN) : undefined))),
      ].filter((arn) => arn !== undefined)),
  };
}

/** An SNS notification delivered to Lambda (one record): its message's context is the parent. */
function snsNotification(record: Json): EventShape {
  const sns = isObject(record.Sns) ? record.Sns : {};
  const topic = arnName(sns.TopicArn);
  return {
    trigger: 'pubsub',
    http: false,
    kind: SpanKind.CONSUMER,
    spanName: topic ? `process ${topic}` : undefined,
    attributes: withoutUndefined({
      [ATTR_MESSAGING_SYSTEM]: 'aws.sns',
      [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
      [ATTR_MESSAGING_OPERATION_NAME]: 'process',
      [ATTR_MESSAGING_DESTINATION_NAME]: topic,
      [ATTR_MESSAGING_MESSAGE_ID]: str(sns.MessageId),
    }),
    parent: snsRecordContext(record)?.context,
  };
}

/** An EventBridge event: `detail._tracecontext` is the parent (and is removed from the event). */
function eventBridgeEvent(event: Json): EventShape {
  const detailType = str(event['detail-type']);
  return {
    trigger: 'pubsub',
    http: false,
    kind: SpanKind.CONSUMER,
    spanName: detailType ? `process ${detailType}` : undefined,
    attributes: withoutUndefined({
      [ATTR_MESSAGING_SYSTEM]: 'aws.eventbridge',
      [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
      [ATTR_MESSAGING_OPERATION_NAME]: 'process',
      [ATTR_MESSAGING_DESTINATION_NAME]: str(event.source),
      [ATTR_MESSAGING_MESSAGE_ID]: str(event.id),
    }),
    parent: takeEventBridgeContext(event)?.context,
  };
}

/** API Gateway HTTP API (payload 2.0) and Lambda function URLs. */
function httpApiV2(event: Json, requestContext: Json, http: Json): EventShape {
  const headers = headerMap(event.headers, undefined);
  const method = str(http.method);
  const routeKey = str(requestContext.routeKey);
  // `POST /payments` or `ANY /payments/{id}`; `$default` when no route matched.
  const routePath = routeKey?.slice(routeKey.indexOf(' ') + 1);
  const route = routePath !== '$default' ? routePath : undefined;
  const path = str(http.path) ?? str(event.rawPath);
  const attributes: Attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: method,
    [ATTR_URL_PATH]: path,
    [ATTR_URL_SCHEME]: 'https',
    [ATTR_SERVER_ADDRESS]: str(requestContext.domainName) ?? headers.host,
    [ATTR_HTTP_ROUTE]: route,
    [ATTR_USER_AGENT_ORIGINAL]: str(http.userAgent) ?? headers['user-agent'],
    [ATTR_CLIENT_ADDRESS]: str(http.sourceIp),
  };
  return httpShape(method, route, attributes, headers, [routePath, path]);
}

/** API Gateway REST API (payload 1.0, also HTTP APIs configured for 1.0). */
function restApi(event: Json, requestContext: Json | undefined): EventShape {
  const headers = headerMap(event.headers, event.multiValueHeaders);
  const method = str(event.httpMethod);
  const route = str(event.resource) ?? str(requestContext?.resourcePath);
  const path = str(event.path);
  const identity = isObject(requestContext?.identity) ? requestContext.identity : {};
  const attributes: Attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: method,
    [ATTR_URL_PATH]: path,
    [ATTR_URL_SCHEME]: 'https',
    [ATTR_SERVER_ADDRESS]: str(requestContext?.domainName) ?? headers.host,
    [ATTR_HTTP_ROUTE]: route,
    [ATTR_USER_AGENT_ORIGINAL]: headers['user-agent'] ?? str(identity.userAgent),
    [ATTR_CLIENT_ADDRESS]: str(identity.sourceIp),
  };
  return httpShape(method, route, attributes, headers, [route, path]);
}

/** Application Load Balancer target (with or without multi-value headers). */
function alb(event: Json): EventShape {
  const headers = headerMap(event.headers, event.multiValueHeaders);
  const method = str(event.httpMethod);
  const path = str(event.path);
  const attributes: Attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: method,
    [ATTR_URL_PATH]: path,
    [ATTR_URL_SCHEME]: headers['x-forwarded-proto'] ?? 'http',
    [ATTR_SERVER_ADDRESS]: headers.host,
    [ATTR_USER_AGENT_ORIGINAL]: headers['user-agent'],
    [ATTR_CLIENT_ADDRESS]: headers['x-forwarded-for']?.split(',')[0]?.trim(),
  };
  return httpShape(method, undefined, attributes, headers, [path]);
}

function httpShape(
  method: string | undefined,
  route: string | undefined,
  attributes: Attributes,
  headers: HeaderMap,
  paths: (string | undefined)[],
): EventShape {
  withoutUndefined(attributes);
  const spanName = method ? (route ? `${method} ${route}` : method) : undefined;
  return {
    trigger: 'http',
    http: true,
    kind: SpanKind.SERVER,
    spanName,
    attributes,
    headers,
    route: { method, paths: paths.filter((path) => path !== undefined) },
  };
}

/**
 * Lower-cases header names (HTTP headers are case-insensitive and API Gateway keeps the
 * client's case) and keeps the first value of each; multi-value headers fill the gaps.
 */
export function headerMap(single: unknown, multi: unknown): HeaderMap {
  const map: HeaderMap = {};
  if (isObject(multi)) {
    for (const [name, values] of Object.entries(multi)) {
      if (Array.isArray(values) && typeof values[0] === 'string') map[name.toLowerCase()] = values[0];
    }
  }
  if (isObject(single)) {
    for (const [name, value] of Object.entries(single)) {
      if (typeof value === 'string') map[name.toLowerCase()] = value;
    }
  }
  return map;
}

/** The status code of an HTTP handler's result: an object's `statusCode`, or 200 (payload 2.0). */
export function httpStatusOf(result: unknown): number | undefined {
  if (isObject(result)) {
    const code = result.statusCode;
    if (typeof code === 'number' && Number.isInteger(code)) return code;
    if (typeof code === 'string' && /^\d{3}$/.test(code)) return Number(code);
    // Payload 2.0 treats an object without statusCode as a 200 JSON body.
    return 'statusCode' in result ? undefined : 200;
  }
  return result === undefined ? undefined : 200;
}

function withoutUndefined(attributes: Attributes): Attributes {
  for (const key of Object.keys(attributes)) {
    if (attributes[key] === undefined) delete attributes[key];
  }
  return attributes;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
