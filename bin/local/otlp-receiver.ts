import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { LocalServer } from './local-server';

/** An attribute value as OTLP/JSON encodes it. */
interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}

type Attributes = Record<string, string | number | boolean | unknown[]>;

/** A span as it arrived at the receiver, decoded to plain values. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  /** OTLP span kind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly attributes: Attributes;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  readonly status: { code: number; message?: string };
  readonly events: { name: string; attributes: Attributes }[];
  readonly links: { traceId: string; spanId: string; attributes: Attributes }[];
  readonly flags?: number;
  readonly traceState?: string;
  readonly resource: Attributes;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
}

/** What the receiver does with a request. */
export type ReceiverMode = 'accept' | 'hang' | 'fail';

export const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;
export const STATUS = { UNSET: 0, OK: 1, ERROR: 2 } as const;

/**
 * A real OTLP/HTTP receiver on 127.0.0.1 (JSON encoding, `POST /v1/traces`), as the collector
 * extension's `otlp` receiver is to the function. It can also hang (accept and never answer) or
 * fail (answer 503) to stand for a broken collector.
 */
export class OtlpReceiver extends LocalServer {
  readonly spans: ReceivedSpan[] = [];
  readonly requests: {
    path: string;
    contentType?: string;
    headers: IncomingMessage['headers'];
    /** The body, unzipped when it came gzip-encoded (an OTLP/protobuf body is kept as bytes only). */
    body: Buffer;
  }[] = [];
  mode: ReceiverMode = 'accept';
  private readonly hanging: ServerResponse[] = [];

  override async stop(): Promise<void> {
    for (const res of this.hanging.splice(0)) res.destroy();
    await super.stop();
  }

  clear(): void {
    this.spans.length = 0;
    this.requests.length = 0;
  }

  /**
   * Resolves once no request has arrived for `quietMs` (at most `timeoutMs`): for exports that
   * the sender does not wait for (completion `sent`).
   */
  async idle(quietMs = 100, timeoutMs = 5000): Promise<void> {
    const end = Date.now() + timeoutMs;
    let seen = -1;
    while (Date.now() < end && seen !== this.requests.length) {
      seen = this.requests.length;
      await new Promise((resolve) => setTimeout(resolve, quietMs));
    }
  }

  /** Spans of one trace. */
  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((span) => span.traceId === traceId);
  }

  /** The one span with this name; fails when there are none or several. */
  span(name: string): ReceivedSpan {
    const found = this.spans.filter((span) => span.name === name);
    if (found.length !== 1) {
      throw new Error(`expected one span named "${name}", got ${found.length}: ${this.names().join(', ')}`);
    }
    return found[0];
  }

  names(): string[] {
    return this.spans.map((span) => span.name);
  }

  protected handle(req: IncomingMessage, _text: string, res: ServerResponse, raw: Buffer): void {
    // The collector's otlp_http exporter compresses with gzip by default.
    let bytes = raw;
    try {
      if (req.headers['content-encoding'] === 'gzip') bytes = gunzipSync(raw);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const body = bytes.toString('utf8');
    this.requests.push({
      path: req.url ?? '',
      contentType: req.headers['content-type'],
      headers: req.headers,
      body: bytes,
    });
    const json = String(req.headers['content-type']).includes('json');
    const protobuf = String(req.headers['content-type']).includes('protobuf');
    if (this.mode === 'hang') {
      // Reads what arrived, then never answers.
      if (json) this.spans.push(...decode(JSON.parse(body) as OtlpExport));
      this.hanging.push(res);
      return;
    }
    if (this.mode === 'fail') {
      res.writeHead(503).end();
      return;
    }
    if (req.url === '/v1/traces' && protobuf) {
      // Kept as bytes (no protobuf decoder here); an empty body is a valid ExportTraceServiceResponse.
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      return;
    }
    if (req.url !== '/v1/traces' || !json) {
      res.writeHead(415).end();
      return;
    }
    this.spans.push(...decode(JSON.parse(body) as OtlpExport));
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  }
}

interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: OtlpValue }[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        flags?: number;
        traceState?: string;
        startTimeUnixNano: string;
        endTimeUnixNano: string;
        attributes?: { key: string; value: OtlpValue }[];
        status?: { code?: number; message?: string };
        events?: { name: string; attributes?: { key: string; value: OtlpValue }[] }[];
        links?: { traceId: string; spanId: string; attributes?: { key: string; value: OtlpValue }[] }[];
      }[];
    }[];
  }[];
}

function decode(body: OtlpExport): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of body.resourceSpans ?? []) {
    const resource = attributes(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        spans.push({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId || undefined,
          name: span.name,
          kind: span.kind,
          flags: span.flags,
          traceState: span.traceState || undefined,
          attributes: attributes(span.attributes),
          status: { code: span.status?.code ?? 0, message: span.status?.message },
          events: (span.events ?? []).map((e) => ({ name: e.name, attributes: attributes(e.attributes) })),
          links: (span.links ?? []).map((l) => ({
            traceId: l.traceId,
            spanId: l.spanId,
            attributes: attributes(l.attributes),
          })),
          resource,
          startTimeUnixNano: span.startTimeUnixNano,
          endTimeUnixNano: span.endTimeUnixNano,
        });
      }
    }
  }
  return spans;
}

function attributes(list: { key: string; value: OtlpValue }[] | undefined): Attributes {
  const result: Attributes = {};
  for (const { key, value } of list ?? []) result[key] = plain(value);
  return result;
}

function plain(value: OtlpValue): string | number | boolean | unknown[] {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(plain);
  return '';
}

/** Whether a received span was sampled: the W3C sampled flag, bit 0 of OTLP `flags`. */
export function isSampled(span: ReceivedSpan): boolean {
  return ((span.flags ?? 0) & 0x01) === 0x01;
}
