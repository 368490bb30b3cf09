import { TraceFlags, type Attributes, type Context } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import { warnOnce } from './diagnostics';
import { ATTR_SAMPLING_PRIORITY } from './semconv';

/** Spans kept in memory between two flushes, at most; beyond it new spans are dropped. */
export const MAX_BUFFERED_SPANS = 2048;

/** How an invocation ended, as the flush needs to know it. */
export interface FlushRequest {
  /**
   * The traces this invocation keeps: those in which it failed (the invocation's own when it
   * threw or answered 5xx; a record's when processing that record failed) when keep-errors is
   * on, and those an always-keep rule sampled. Their unsampled spans are exported too.
   */
  readonly keptTraceIds: ReadonlySet<string>;
  /** Export the spans of kept traces with `sampling.priority` = 1. */
  readonly samplingPriority: boolean;
  /** The longest the export may take, in milliseconds. */
  readonly deadlineMs: number;
}

/**
 * A span processor made for Lambda: it holds the spans that end during an invocation and
 * exports them in one request when the invocation ends, with a deadline, before the function's
 * response is returned (a frozen sandbox exports nothing).
 *
 * Sampled spans are always exported. Spans that were recorded but not sampled (the sampler is
 * wrapped with `createAlwaysRecordSampler` when keep-errors is on) are exported only when their
 * trace is kept (the invocation failed in it), and dropped otherwise. With sampling priority on,
 * the spans of kept traces are exported with `sampling.priority` = 1 (for a collector that
 * samples by trace id hash); the SDK's spans themselves are never changed.
 */
export class InvocationSpanProcessor implements SpanProcessor {
  private sampled: ReadableSpan[] = [];
  private unsampled: ReadableSpan[] = [];

  constructor(
    private readonly exporter: SpanExporter,
    private readonly flushTimeoutMs: number,
  ) {}

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    const isSampled = (span.spanContext().traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
    const buffer = isSampled ? this.sampled : this.unsampled;
    if (this.sampled.length + this.unsampled.length >= MAX_BUFFERED_SPANS) {
      warnOnce(
        'buffer-full',
        `more than ${MAX_BUFFERED_SPANS} spans in one invocation; the rest are dropped`,
      );
      return;
    }
    buffer.push(span);
  }

  /**
   * Exports what the invocation produced. Resolves when the export is done or the deadline has
   * passed, whichever comes first; never rejects.
   */
  async flushInvocation(request: FlushRequest): Promise<void> {
    const kept = request.keptTraceIds;
    const spans = this.sampled;
    if (kept.size > 0) {
      for (const span of this.unsampled) {
        if (kept.has(span.spanContext().traceId)) spans.push(span);
      }
    }
    this.sampled = [];
    this.unsampled = [];
    if (spans.length === 0 || request.deadlineMs <= 0) return;
    if (request.samplingPriority && kept.size > 0) {
      for (let i = 0; i < spans.length; i++) {
        if (kept.has(spans[i].spanContext().traceId)) spans[i] = withAttributes(spans[i], PRIORITY);
      }
    }
    await this.exportWithin(spans, request.deadlineMs);
  }

  forceFlush(): Promise<void> {
    const spans = this.sampled;
    this.sampled = [];
    this.unsampled = [];
    return spans.length === 0 ? Promise.resolve() : this.exportWithin(spans, this.flushTimeoutMs);
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    await this.exporter.shutdown();
  }

  private exportWithin(spans: ReadableSpan[], deadlineMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const exported = new Promise<ExportResult>((resolve) => {
      try {
        this.exporter.export(spans, resolve);
      } catch (error) {
        resolve({ code: ExportResultCode.FAILED, error: error as Error });
      }
    }).then((result) => {
      if (result.code !== ExportResultCode.SUCCESS) {
        warnOnce('export-failed', 'exporting spans failed; they are dropped', result.error);
      }
    });
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        warnOnce(
          'export-deadline',
          `exporting spans took longer than ${deadlineMs} ms; the invocation goes on`,
        );
        resolve();
      }, deadlineMs);
    });
    return Promise.race([exported, deadline]).finally(() => clearTimeout(timer));
  }
}

const PRIORITY: Attributes = { [ATTR_SAMPLING_PRIORITY]: 1 };

/**
 * The span as the exporter should see it, with `extra` attributes added; the SDK's span is left
 * as it is. The span has ended, so what it returns no longer changes.
 */
function withAttributes(span: ReadableSpan, extra: Attributes): ReadableSpan {
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status: span.status,
    attributes: { ...span.attributes, ...extra },
    links: span.links,
    events: span.events,
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}
