import {
  ListRetrievedTracesCommand,
  StartTraceRetrievalCommand,
  type XRayClient,
} from '@aws-sdk/client-xray';
import { fromXrayTraceId, toXrayTraceId } from '../ids';
import type { NormalisedSpan, TraceBackend } from '../types';
import { parseOtlpTrace } from './tempo';

/** At most this many pages of one retrieval are read. */
const MAX_PAGES = 20;

/** How far before the time in the trace id the window starts (clocks differ). */
const WINDOW_BEFORE_MS = 5 * 60_000;

/** The retrieval states in which the retrieval is still going (`ListRetrievedTraces` answers empty). */
const PENDING = new Set(['SCHEDULED', 'RUNNING']);

/** Options of the retrieval backend. */
export interface XRayRetrievalOptions {
  /** The clock (ms since the epoch), for the window's end. @default Date.now */
  readonly now?: () => number;
}

/**
 * Traces read from AWS X-Ray with its trace retrieval API, the way to read traces when CloudWatch
 * Transaction Search is on (X-Ray's OTLP endpoint needs it, and then `BatchGetTraces` finds
 * nothing). Permissions `xray:StartTraceRetrieval` and `xray:ListRetrievedTraces`.
 *
 * - The first read starts a retrieval (`StartTraceRetrieval`) of the trace id in its X-Ray form
 *   `1-<8 hex>-<24 hex>`, for the window from 5 minutes before the time in the trace id (its first
 *   8 hex digits, the check's start) to now. Both ends are inclusive, epoch seconds.
 * - Every read asks `ListRetrievedTraces` (`TraceFormat: OTEL`) with that retrieval's token. While
 *   the retrieval is `SCHEDULED` or `RUNNING` the answer is empty: the read is `undefined` and the
 *   next read asks again with the same token (no new retrieval).
 * - When it is `COMPLETE`, its pages (`NextToken`) are read and the spans returned; the token is
 *   then dropped, so that a later read (the check reads again while hops are missing) starts a
 *   new retrieval whose window reaches spans that arrived since.
 * - `FAILED`, `CANCELLED` or `TIMEOUT` is an error.
 */
export class XRayRetrievalTraceBackend implements TraceBackend {
  public readonly name = 'xray trace retrieval';
  private readonly retrievals = new Map<string, string>();
  private readonly now: () => number;

  constructor(
    private readonly client: XRayClient,
    options: XRayRetrievalOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  public async getTrace(traceId: string): Promise<NormalisedSpan[] | undefined> {
    const xrayId = toXrayTraceId(traceId);
    let token = this.retrievals.get(xrayId);
    if (token === undefined) {
      token = await this.start(xrayId, traceId);
      this.retrievals.set(xrayId, token);
    }

    const documents: { Id?: string; Document?: string }[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const output = await this.client.send(
        new ListRetrievedTracesCommand({ RetrievalToken: token, TraceFormat: 'OTEL', NextToken: nextToken }),
      );
      const status = output.RetrievalStatus;
      if (status === undefined || PENDING.has(status)) return undefined;
      if (status !== 'COMPLETE') {
        this.retrievals.delete(xrayId);
        throw new Error(`the X-Ray trace retrieval of ${xrayId} ended ${status}`);
      }
      for (const trace of output.Traces ?? []) {
        if (trace.Id !== undefined && fromXrayTraceId(trace.Id) !== traceId.toLowerCase()) continue;
        documents.push(...(trace.Spans ?? []));
      }
      nextToken = output.NextToken || undefined;
      if (!nextToken) break;
    }
    this.retrievals.delete(xrayId);
    const spans = parseRetrievedSpans(documents).filter((s) => s.traceId === traceId.toLowerCase());
    return spans.length > 0 ? spans : undefined;
  }

  private async start(xrayId: string, traceId: string): Promise<string> {
    const startedSeconds = parseInt(traceId.slice(0, 8), 16);
    const endTime = new Date(this.now());
    const startTime = new Date(Math.min(startedSeconds * 1000 - WINDOW_BEFORE_MS, endTime.getTime()));
    const output = await this.client.send(
      new StartTraceRetrievalCommand({ TraceIds: [xrayId], StartTime: startTime, EndTime: endTime }),
    );
    if (!output.RetrievalToken)
      throw new Error(`StartTraceRetrieval of ${xrayId} returned no RetrievalToken`);
    return output.RetrievalToken;
  }
}

/** An OpenTelemetry span as one document of the OTEL format may carry it (attributes as a map or a list). */
interface OtelSpanDocument {
  readonly traceId?: string;
  readonly spanId?: string;
  readonly parentSpanId?: string;
  readonly name?: string;
  readonly kind?: string | number;
  readonly attributes?: unknown;
  readonly resource?: { readonly attributes?: unknown };
  readonly scope?: unknown;
  readonly links?: readonly { readonly traceId?: string; readonly spanId?: string }[];
}

/**
 * The spans of the documents `ListRetrievedTraces` returns in the OTEL format
 * (`Traces[].Spans[].Document`, a JSON string). A document is read as either
 *
 * - OTLP JSON (`resourceSpans`, as an export request): read as `parseOtlpTrace` reads it, or
 * - one span, as the Transaction Search span log group keeps it: `traceId`, `spanId`,
 *   `parentSpanId`, `name`, `kind` (`SERVER`, `SPAN_KIND_SERVER` or the number), `attributes` and
 *   `resource.attributes` as flat maps (or OTLP attribute lists), `links[]`.
 *
 * Trace ids may be W3C (32 hex) or X-Ray's form; both are read as W3C. Documents that are not JSON
 * are left out.
 */
export function parseRetrievedSpans(
  documents: readonly { Id?: string; Document?: string }[],
): NormalisedSpan[] {
  const spans: NormalisedSpan[] = [];
  for (const { Document } of documents) {
    let doc: unknown;
    try {
      doc = JSON.parse(Document ?? '');
    } catch {
      continue;
    }
    if (!doc || typeof doc !== 'object') continue;
    const record = doc as { resourceSpans?: unknown };
    if (Array.isArray(record.resourceSpans)) {
      spans.push(...parseOtlpTrace(doc));
      continue;
    }
    const span = doc as OtelSpanDocument;
    spans.push(
      ...parseOtlpTrace({
        resourceSpans: [
          {
            resource: { attributes: keyValues(span.resource?.attributes) },
            scopeSpans: [
              {
                spans: [
                  {
                    ...span,
                    traceId: span.traceId ? fromXrayTraceId(span.traceId) : undefined,
                    attributes: keyValues(span.attributes),
                    links: (span.links ?? []).map((l) => ({
                      traceId: l.traceId ? fromXrayTraceId(l.traceId) : undefined,
                      spanId: l.spanId,
                    })),
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
  }
  return spans;
}

/** Attributes as an OTLP key-value list, from a flat map (or as they are when already a list). */
function keyValues(attributes: unknown): unknown[] {
  if (Array.isArray(attributes)) return attributes;
  if (!attributes || typeof attributes !== 'object') return [];
  const out: unknown[] = [];
  for (const [key, value] of Object.entries(attributes as Record<string, unknown>)) {
    if (typeof value === 'string') out.push({ key, value: { stringValue: value } });
    else if (typeof value === 'boolean') out.push({ key, value: { boolValue: value } });
    else if (typeof value === 'number') {
      out.push({ key, value: Number.isInteger(value) ? { intValue: value } : { doubleValue: value } });
    }
  }
  return out;
}
