import type { NormalisedSpan, SpanKindName, SpanStatusName } from '../types';
import { QueryApiTraceBackend, type QueryApiOptions } from './http';

/** An OTLP attribute value, as JSON encodes it. */
interface OtlpValue {
  readonly stringValue?: string;
  readonly intValue?: string | number;
  readonly doubleValue?: number;
  readonly boolValue?: boolean;
}

type OtlpAttributes = readonly { readonly key?: string; readonly value?: OtlpValue }[];

/** An OTLP span, as Tempo answers it. */
interface OtlpSpan {
  readonly traceId?: string;
  readonly spanId?: string;
  readonly parentSpanId?: string;
  readonly name?: string;
  readonly kind?: string | number;
  readonly attributes?: OtlpAttributes;
  readonly status?: { readonly code?: string | number };
  readonly links?: readonly { readonly traceId?: string; readonly spanId?: string }[];
}

interface OtlpResourceSpans {
  readonly resource?: { readonly attributes?: OtlpAttributes };
  readonly scopeSpans?: readonly { readonly spans?: readonly OtlpSpan[] }[];
  readonly instrumentationLibrarySpans?: readonly { readonly spans?: readonly OtlpSpan[] }[];
}

/** OTLP span kinds by number (`SPAN_KIND_SERVER` = 2, …). */
const KINDS: Readonly<Record<number, SpanKindName>> = {
  1: 'internal',
  2: 'server',
  3: 'client',
  4: 'producer',
  5: 'consumer',
};

/**
 * Traces read from Grafana Tempo's query API: `GET <url>/api/traces/<trace id>` with
 * `Accept: application/json` (OTLP JSON: `batches`, or `resourceSpans`/`trace.resourceSpans` of
 * the v2 API). 404 is `undefined`: not there yet.
 */
export class TempoTraceBackend extends QueryApiTraceBackend {
  constructor(url: string, options: QueryApiOptions = {}) {
    super('tempo', url, options);
  }

  protected parse(body: unknown): NormalisedSpan[] {
    return parseOtlpTrace(body);
  }
}

/**
 * The spans of an OTLP JSON trace (Tempo's answer, or an OTLP export request): `serviceName`
 * from the resource's `service.name`, `kind` from the number or the `SPAN_KIND_*` name. Ids are
 * read as hex (the OTLP/JSON encoding) or base64 (Tempo's protobuf JSON): a 16-byte trace id is
 * 32 hex digits or 24 base64 characters, so the length tells them apart.
 */
export function parseOtlpTrace(body: unknown): NormalisedSpan[] {
  const root = body as {
    batches?: readonly OtlpResourceSpans[];
    resourceSpans?: readonly OtlpResourceSpans[];
    trace?: { resourceSpans?: readonly OtlpResourceSpans[] };
  } | null;
  const batches = root?.batches ?? root?.resourceSpans ?? root?.trace?.resourceSpans ?? [];
  const spans: NormalisedSpan[] = [];
  for (const batch of batches) {
    const serviceName = attributesOf(batch.resource?.attributes)['service.name'];
    for (const scope of [...(batch.scopeSpans ?? []), ...(batch.instrumentationLibrarySpans ?? [])]) {
      for (const span of scope.spans ?? []) {
        const traceId = id(span.traceId, 16);
        const spanId = id(span.spanId, 8);
        if (!traceId || !spanId) continue;
        const parentSpanId = id(span.parentSpanId, 8);
        const kind = kindOf(span.kind);
        const status = statusOf(span.status?.code);
        const links = (span.links ?? [])
          .map((l) => ({ traceId: id(l.traceId, 16), spanId: id(l.spanId, 8) }))
          .filter((l): l is { traceId: string; spanId: string } => !!l.traceId && !!l.spanId);
        spans.push({
          traceId,
          spanId,
          ...(parentSpanId ? { parentSpanId } : {}),
          name: span.name ?? '',
          ...(typeof serviceName === 'string' ? { serviceName } : {}),
          ...(kind ? { kind } : {}),
          ...(links.length > 0 ? { links } : {}),
          attributes: attributesOf(span.attributes),
          ...(status ? { status } : {}),
        });
      }
    }
  }
  return spans;
}

/** An id of `bytes` bytes as lower-case hex, from hex or base64; undefined when empty or neither. */
function id(value: string | undefined, bytes: number): string | undefined {
  if (!value) return undefined;
  let hex: string;
  if (value.length === bytes * 2 && /^[0-9a-f]+$/i.test(value)) {
    hex = value.toLowerCase();
  } else {
    const decoded = Buffer.from(value, 'base64');
    if (decoded.length !== bytes) return undefined;
    hex = decoded.toString('hex');
  }
  return /^0+$/.test(hex) ? undefined : hex;
}

/**
 * A status code as OTLP/JSON writes it (0, 1, 2), as protobuf JSON names it (`STATUS_CODE_ERROR`)
 * or as the Transaction Search span documents do (`ERROR`).
 */
export function statusOf(code: string | number | undefined): SpanStatusName | undefined {
  if (code === undefined) return undefined;
  const name =
    typeof code === 'number' ? STATUS_CODES[code] : code.replace(/^STATUS_CODE_/, '').toLowerCase();
  return name === 'unset' || name === 'ok' || name === 'error' ? name : undefined;
}

const STATUS_CODES: Record<number, SpanStatusName> = { 0: 'unset', 1: 'ok', 2: 'error' };

function kindOf(kind: string | number | undefined): SpanKindName | undefined {
  if (typeof kind === 'number') return KINDS[kind];
  if (typeof kind === 'string') {
    const name = kind.replace(/^SPAN_KIND_/, '').toLowerCase();
    return Object.values(KINDS).find((k) => k === name);
  }
  return undefined;
}

function attributesOf(attributes: OtlpAttributes | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of attributes ?? []) {
    if (typeof key !== 'string' || !value) continue;
    if (value.stringValue !== undefined) out[key] = value.stringValue;
    else if (value.intValue !== undefined) out[key] = Number(value.intValue);
    else if (value.doubleValue !== undefined) out[key] = value.doubleValue;
    else if (value.boolValue !== undefined) out[key] = value.boolValue;
  }
  return out;
}
