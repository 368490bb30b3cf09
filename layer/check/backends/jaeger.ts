import type { NormalisedSpan, SpanKindName } from '../types';
import { QueryApiTraceBackend, type QueryApiOptions } from './http';

/** A Jaeger tag (`tags`, a process's `tags`). */
interface JaegerTag {
  readonly key?: string;
  readonly type?: string;
  readonly value?: unknown;
}

/** A span of Jaeger's query API (`/api/traces/{id}`). */
interface JaegerSpan {
  readonly traceID?: string;
  readonly spanID?: string;
  readonly operationName?: string;
  readonly references?: readonly { refType?: string; traceID?: string; spanID?: string }[];
  readonly tags?: readonly JaegerTag[];
  readonly processID?: string;
}

/** The answer of Jaeger's query API. */
interface JaegerResponse {
  readonly data?: readonly {
    readonly traceID?: string;
    readonly spans?: readonly JaegerSpan[];
    readonly processes?: Record<string, { serviceName?: string; tags?: readonly JaegerTag[] }>;
  }[];
}

/**
 * Traces read from Jaeger's query API: `GET <url>/api/traces/<trace id>` (the JSON the Jaeger UI
 * reads). 404, or an answer with no spans, is `undefined`: not there yet.
 */
export class JaegerTraceBackend extends QueryApiTraceBackend {
  constructor(url: string, options: QueryApiOptions = {}) {
    super('jaeger', url, options);
  }

  protected parse(body: unknown): NormalisedSpan[] {
    return parseJaegerTrace(body);
  }
}

/**
 * The spans of a Jaeger query answer: `serviceName` from the span's process, the parent from its
 * `CHILD_OF` reference in the same trace (other references are links), `kind` from the
 * `span.kind` tag, the tags as attributes. Ids are padded to 32 and 16 hex digits (Jaeger drops
 * leading zeros).
 */
export function parseJaegerTrace(body: unknown): NormalisedSpan[] {
  const spans: NormalisedSpan[] = [];
  for (const trace of (body as JaegerResponse | null)?.data ?? []) {
    const processes = trace.processes ?? {};
    for (const span of trace.spans ?? []) {
      if (typeof span.spanID !== 'string' || typeof span.traceID !== 'string') continue;
      const traceId = pad(span.traceID, 32);
      const references = (span.references ?? []).filter(
        (r) => typeof r.traceID === 'string' && typeof r.spanID === 'string',
      );
      const parent = references.find((r) => r.refType === 'CHILD_OF' && pad(r.traceID!, 32) === traceId);
      const links = references
        .filter((r) => r !== parent)
        .map((r) => ({ traceId: pad(r.traceID!, 32), spanId: pad(r.spanID!, 16) }));
      const attributes: Record<string, string | number | boolean> = {};
      for (const tag of span.tags ?? []) {
        if (typeof tag.key === 'string' && isPrimitive(tag.value)) attributes[tag.key] = tag.value;
      }
      const kind = kindName(attributes['span.kind']);
      // Jaeger's OTLP translation: `otel.status_code` (OK, ERROR) and the `error` tag.
      const statusCode = attributes['otel.status_code'];
      const status =
        attributes.error === true || statusCode === 'ERROR'
          ? 'error'
          : statusCode === 'OK'
            ? 'ok'
            : undefined;
      const serviceName = processes[span.processID ?? '']?.serviceName;
      spans.push({
        traceId,
        spanId: pad(span.spanID, 16),
        ...(parent ? { parentSpanId: pad(parent.spanID!, 16) } : {}),
        name: span.operationName ?? '',
        ...(serviceName ? { serviceName } : {}),
        ...(kind ? { kind } : {}),
        ...(links.length > 0 ? { links } : {}),
        attributes,
        ...(status ? { status } : {}),
      });
    }
  }
  return spans;
}

function kindName(value: unknown): SpanKindName | undefined {
  const kind = typeof value === 'string' ? value.toLowerCase() : undefined;
  return kind === 'server' ||
    kind === 'client' ||
    kind === 'producer' ||
    kind === 'consumer' ||
    kind === 'internal'
    ? kind
    : undefined;
}

function pad(id: string, length: number): string {
  return id.toLowerCase().padStart(length, '0');
}

function isPrimitive(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
