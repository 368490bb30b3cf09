import { BatchGetTracesCommand, type XRayClient } from '@aws-sdk/client-xray';
import { fromXrayTraceId, toXrayTraceId } from '../ids';
import type { NormalisedSpan, SpanKindName, TraceBackend } from '../types';

/** The AWS operations that send a message: an `aws` subsegment doing one is a PRODUCER. */
const SEND_OPERATIONS = new Set(['Publish', 'PublishBatch', 'SendMessage', 'SendMessageBatch', 'PutEvents']);

/** Where X-Ray documents carry the OpenTelemetry resource's `service.name`, in the order read. */
const SERVICE_NAME_KEYS = [
  'otel.resource.service.name',
  'otel_resource_service_name',
  'aws.local.service',
  'aws_local_service',
];

/** Where X-Ray documents may carry the OpenTelemetry span kind. */
const KIND_KEYS = ['span.kind', 'otel.span.kind', 'aws.span.kind', 'aws_span_kind'];

/** At most this many pages of one trace (BatchGetTraces pages large traces). */
const MAX_PAGES = 20;

/** A segment or subsegment document, as far as the check reads it. */
interface XrayDocument {
  readonly id?: string;
  readonly name?: string;
  readonly trace_id?: string;
  readonly parent_id?: string;
  readonly type?: string;
  readonly namespace?: string;
  readonly origin?: string;
  readonly inferred?: boolean;
  /** A server-side failure (the X-Ray form of an error status; `error` is a 4xx). */
  readonly fault?: boolean;
  readonly aws?: Record<string, unknown>;
  readonly http?: { readonly request?: { readonly method?: string; readonly url?: string } };
  readonly metadata?: Record<string, unknown>;
  readonly annotations?: Record<string, unknown>;
  readonly subsegments?: readonly XrayDocument[];
  readonly links?: readonly { readonly trace_id?: string; readonly id?: string }[];
}

/** A span being read, before the service names of subsegments are settled. */
interface ReadSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  ownService?: string;
  serviceName?: string;
  /** The segment or subsegment this one is nested in. */
  enclosingId?: string;
  kind?: SpanKindName;
  links: { traceId: string; spanId: string }[];
  attributes: Record<string, string | number | boolean>;
  fault: boolean;
}

/**
 * Traces read from AWS X-Ray with `BatchGetTraces` (permission `xray:BatchGetTraces`), the W3C
 * trace id asked for in its X-Ray form `1-<first 8 hex>-<other 24 hex>`. A trace X-Ray does not
 * return (not there yet, or listed as unprocessed) is `undefined`: the check polls again.
 */
export class XRayTraceBackend implements TraceBackend {
  public readonly name = 'xray';

  constructor(private readonly client: XRayClient) {}

  public async getTrace(traceId: string): Promise<NormalisedSpan[] | undefined> {
    const id = toXrayTraceId(traceId);
    const segments: { Id?: string; Document?: string }[] = [];
    let seen = false;
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const output = await this.client.send(
        new BatchGetTracesCommand({ TraceIds: [id], NextToken: nextToken }),
      );
      for (const trace of output.Traces ?? []) {
        if (trace.Id !== id) continue;
        seen = true;
        segments.push(...(trace.Segments ?? []));
      }
      nextToken = output.NextToken || undefined;
      if (!nextToken) break;
    }
    if (!seen || segments.length === 0) return undefined;
    return parseXraySegments(segments);
  }
}

/**
 * The spans of the segment documents of one trace (`BatchGetTraces` → `Traces[].Segments`).
 *
 * Read from each segment and each nested subsegment:
 *
 * - `spanId` ← `id`; `traceId` ← `trace_id` in W3C form (a nested subsegment takes its
 *   segment's); `parentSpanId` ← `parent_id`, else the document it is nested in.
 * - `name` ← `name`. X-Ray names a segment after its service (the OpenTelemetry span name of a
 *   SERVER span, `POST /payments`, is not kept) and an AWS call after the service called (`SNS`).
 * - `serviceName` ← the resource's `service.name` where the document carries it
 *   (`metadata.*["otel.resource.service.name"]`, or an annotation of that name, or
 *   `aws.local.service`), else, for a segment, its `name` (X-Ray segment names are service
 *   names), else, for a subsegment, the service of the document it is nested in or of its parent.
 * - `kind` ← an explicit `span.kind`/`aws.span.kind` in metadata or annotations; else `server`
 *   for a segment with an HTTP request, `producer` for an `aws` subsegment doing a send
 *   (`aws.operation` Publish, SendMessage, PutEvents, …), `client` for any other `aws` or
 *   `remote` subsegment, and unknown otherwise (a consumer's record span cannot be told from an
 *   internal one; the comparison does not need it).
 * - `attributes` ← the flat keys of `metadata` and `annotations`, `aws.operation`, the HTTP
 *   request's method and URL (`http.request.method`, `url.full` without the query).
 * - `links` ← `links[]` (`trace_id`, `id`).
 *
 * Left out: inferred segments (`inferred: true`: X-Ray's picture of a called service, made from
 * the caller's subsegment, not a span anyone sent) and documents that are not JSON.
 *
 * Limits: a subsegment with no resource attributes of its own takes the service of the segment
 * it is nested in. When X-Ray nests another service's span under a PRODUCER subsegment (its
 * parent) and the span carries no resource attributes, it is attributed to the producer's
 * service: that consumer hop then reads as missing, never as present by mistake.
 */
export function parseXraySegments(segments: readonly { Id?: string; Document?: string }[]): NormalisedSpan[] {
  const read: ReadSpan[] = [];
  for (const segment of segments) {
    let doc: XrayDocument;
    try {
      doc = JSON.parse(segment.Document ?? '') as XrayDocument;
    } catch {
      continue;
    }
    if (!doc || typeof doc !== 'object' || doc.inferred === true) continue;
    walk(doc, undefined, read);
  }

  const byId = new Map(read.map((s) => [s.spanId, s]));
  const resolve = (span: ReadSpan, depth: number): string | undefined => {
    if (span.serviceName !== undefined || depth > 64) return span.serviceName;
    const up = byId.get(span.enclosingId ?? span.parentSpanId ?? '');
    if (up && up !== span) span.serviceName = resolve(up, depth + 1);
    return span.serviceName;
  };
  for (const span of read) resolve(span, 0);

  return read.map((s) => ({
    traceId: s.traceId,
    spanId: s.spanId,
    ...(s.parentSpanId !== undefined ? { parentSpanId: s.parentSpanId } : {}),
    name: s.name,
    ...(s.serviceName !== undefined ? { serviceName: s.serviceName } : {}),
    ...(s.kind !== undefined ? { kind: s.kind } : {}),
    ...(s.links.length > 0 ? { links: s.links } : {}),
    attributes: s.attributes,
    ...(s.fault ? { status: 'error' as const } : {}),
  }));
}

function walk(doc: XrayDocument, enclosing: ReadSpan | undefined, out: ReadSpan[]): void {
  if (typeof doc.id !== 'string') return;
  const traceId = doc.trace_id ? fromXrayTraceId(doc.trace_id) : (enclosing?.traceId ?? '');
  const attributes = flatAttributes(doc);
  const segment = !enclosing && doc.type !== 'subsegment';
  const ownService = firstString(attributes, SERVICE_NAME_KEYS);
  const span: ReadSpan = {
    traceId,
    spanId: doc.id,
    ...((doc.parent_id ?? enclosing?.spanId) !== undefined
      ? { parentSpanId: doc.parent_id ?? enclosing?.spanId }
      : {}),
    name: doc.name ?? 'span',
    ownService,
    serviceName: ownService ?? (segment ? doc.name : undefined),
    enclosingId: enclosing?.spanId,
    kind: kindOf(doc, attributes, segment),
    links: (doc.links ?? [])
      .filter((l) => typeof l.trace_id === 'string' && typeof l.id === 'string')
      .map((l) => ({ traceId: fromXrayTraceId(l.trace_id!), spanId: l.id! })),
    attributes,
    fault: doc.fault === true,
  };
  out.push(span);
  for (const sub of doc.subsegments ?? []) walk(sub, span, out);
}

function kindOf(
  doc: XrayDocument,
  attributes: Record<string, string | number | boolean>,
  segment: boolean,
): SpanKindName | undefined {
  const explicit = firstString(attributes, KIND_KEYS)?.toLowerCase();
  if (
    explicit === 'server' ||
    explicit === 'client' ||
    explicit === 'producer' ||
    explicit === 'consumer' ||
    explicit === 'internal'
  ) {
    return explicit;
  }
  if (segment) return doc.http?.request ? 'server' : undefined;
  if (doc.namespace === 'aws') {
    return SEND_OPERATIONS.has(String(attributes['aws.operation'])) ? 'producer' : 'client';
  }
  if (doc.namespace === 'remote') return 'client';
  return undefined;
}

/** The document's metadata and annotations as flat attributes, plus what X-Ray keeps in its own fields. */
function flatAttributes(doc: XrayDocument): Record<string, string | number | boolean> {
  const attributes: Record<string, string | number | boolean> = {};
  for (const [namespace, values] of Object.entries(doc.metadata ?? {})) {
    if (!values || typeof values !== 'object') continue;
    for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
      if (isPrimitive(value)) attributes[namespace === 'default' ? key : `${namespace}.${key}`] = value;
    }
  }
  for (const [key, value] of Object.entries(doc.annotations ?? {})) {
    if (isPrimitive(value)) attributes[key] = value;
  }
  const operation = doc.aws?.operation;
  if (typeof operation === 'string') attributes['aws.operation'] = operation;
  const request = doc.http?.request;
  if (typeof request?.method === 'string' && attributes['http.request.method'] === undefined) {
    attributes['http.request.method'] = request.method;
  }
  if (typeof request?.url === 'string' && attributes['url.full'] === undefined) {
    attributes['url.full'] = request.url.split('?')[0];
  }
  if (doc.namespace === 'aws' && typeof doc.name === 'string' && attributes['rpc.service'] === undefined) {
    attributes['rpc.service'] = doc.name;
  }
  if (typeof doc.origin === 'string') attributes['xray.origin'] = doc.origin;
  if (typeof doc.namespace === 'string') attributes['xray.namespace'] = doc.namespace;
  return attributes;
}

function firstString(attributes: Record<string, string | number | boolean>, keys: readonly string[]) {
  for (const key of keys) {
    const value = attributes[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

function isPrimitive(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
