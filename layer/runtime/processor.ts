import { TraceFlags, type Attributes, type Context } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import { warnOnce } from './diagnostics';
import type { DeadlineSpanExporter } from './exporter';
import { currentInvocation, invocationOf, type SpanBuffer } from './invocation';
import { ATTR_SAMPLING_PRIORITY } from './semconv';

/** Spans one invocation keeps in memory until its flush, at most; beyond it new spans are dropped. */
export const MAX_BUFFERED_SPANS = 2048;

/** How an invocation ended, as the flush needs to know it. */
export interface FlushRequest {
  /** The spans of the invocation that ends. */
  readonly spans: SpanBuffer;
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
 * Each invocation's spans go to that invocation's own buffer: a span belongs to the invocation
 * whose context it was started in (the invocation span itself is started in it too), so
 * overlapping invocations in one process keep, drop and export only their own. Spans started
 * outside any invocation (at init) wait in a buffer of the process and go with the next flush.
 *
 * Sampled spans are always exported. Spans that were recorded but not sampled (the sampler is
 * wrapped with `createAlwaysRecordSampler` when keep-errors is on) are exported only when their
 * trace is kept (the invocation failed in it), and dropped otherwise. With sampling priority on,
 * the spans of kept traces are exported with `sampling.priority` = 1 (for a collector that
 * samples by trace id hash); the SDK's spans themselves are never changed.
 */
export class InvocationSpanProcessor implements SpanProcessor {
  /** The buffer of each span, from its start (the invocation it was started in). */
  private readonly owners = new WeakMap<object, SpanBuffer>();
  /** Spans started outside any invocation. */
  private outside: SpanBuffer = { sampled: [], unsampled: [] };

  constructor(
    private readonly exporter: SpanExporter,
    private readonly flushTimeoutMs: number,
  ) {}

  onStart(span: Span, parentContext: Context): void {
    // The invocation of the parent context; else the one the calling code runs in (a span given
    // another parent, such as a record's span under its message's context).
    const buffer = (invocationOf(parentContext) ?? currentInvocation())?.spans;
    if (buffer) this.owners.set(span, buffer);
  }

  onEnd(span: ReadableSpan): void {
    const buffer = this.owners.get(span) ?? this.outside;
    // A span ends once: its entry goes now, not at the next full garbage collection (the table
    // would otherwise hold every span of the last few hundred invocations).
    this.owners.delete(span);
    if (buffer.sampled.length + buffer.unsampled.length >= MAX_BUFFERED_SPANS) {
      warnOnce(
        'buffer-full',
        `more than ${MAX_BUFFERED_SPANS} spans in one invocation; the rest are dropped`,
      );
      return;
    }
    const isSampled = (span.spanContext().traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
    (isSampled ? buffer.sampled : buffer.unsampled).push(span);
  }

  /**
   * Exports what the invocation produced (and what was started outside any invocation since the
   * last flush). Resolves when the export is done or the deadline has passed, whichever comes
   * first; never rejects.
   */
  async flushInvocation(request: FlushRequest): Promise<void> {
    const started = performance.now();
    const kept = request.keptTraceIds;
    const outside = this.outside;
    this.outside = { sampled: [], unsampled: [] };
    const spans = [...outside.sampled, ...request.spans.sampled.splice(0)];
    const unsampled = request.spans.unsampled.splice(0);
    if (kept.size > 0) {
      for (const span of unsampled) {
        if (kept.has(span.spanContext().traceId)) spans.push(span);
      }
    }
    if (spans.length === 0 || request.deadlineMs <= 0) return;
    if (request.samplingPriority && kept.size > 0) {
      for (let i = 0; i < spans.length; i++) {
        if (kept.has(spans[i].spanContext().traceId)) spans[i] = withAttributes(spans[i], PRIORITY);
      }
    }
    // The deadline counts from the start of the flush: whatever the above took is spent.
    await this.exportWithin(spans, request.deadlineMs - (performance.now() - started));
  }

  forceFlush(): Promise<void> {
    const spans = this.outside.sampled;
    this.outside = { sampled: [], unsampled: [] };
    return spans.length === 0 ? Promise.resolve() : this.exportWithin(spans, this.flushTimeoutMs);
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    await this.exporter.shutdown();
  }

  private exportWithin(spans: ReadableSpan[], deadlineMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadlineAt = performance.now() + deadlineMs;
    const exported = new Promise<ExportResult>((resolve) => {
      try {
        const exporter = this.exporter as Partial<DeadlineSpanExporter>;
        if (typeof exporter.exportBefore === 'function') exporter.exportBefore(spans, deadlineAt, resolve);
        else this.exporter.export(spans, resolve);
      } catch (error) {
        resolve({ code: ExportResultCode.FAILED, error: error as Error });
      }
    }).then((result) => {
      if (result.code !== ExportResultCode.SUCCESS) {
        warnOnce('export-failed', 'exporting spans failed; they are dropped', result.error);
      }
    });
    const deadline = new Promise<void>((resolve) => {
      // What serialization took (synchronous, above) is spent: the rest is what remains.
      timer = setTimeout(
        () => {
          warnOnce(
            'export-deadline',
            `exporting spans took longer than ${Math.round(deadlineMs)} ms; the invocation goes on`,
          );
          resolve();
        },
        Math.max(0, deadlineAt - performance.now()),
      );
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
