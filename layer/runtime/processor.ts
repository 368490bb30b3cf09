import { TraceFlags, type Context } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import { warnOnce } from './diagnostics';

/** Spans kept in memory between two flushes, at most; beyond it new spans are dropped. */
export const MAX_BUFFERED_SPANS = 2048;

/** How an invocation ended, as the flush needs to know it. */
export interface FlushRequest {
  /**
   * The traces in which this invocation failed (the invocation's own when it threw or answered
   * 5xx; a record's when processing that record failed): their unsampled spans are exported
   * too (keep errors). Empty when nothing failed or keep-errors is off.
   */
  readonly failedTraceIds: ReadonlySet<string>;
  /** The longest the export may take, in milliseconds. */
  readonly deadlineMs: number;
}

/**
 * A span processor made for Lambda: it holds the spans that end during an invocation and
 * exports them in one request when the invocation ends, with a deadline, before the function's
 * response is returned (a frozen sandbox exports nothing).
 *
 * Sampled spans are always exported. Spans that were recorded but not sampled (the sampler is
 * wrapped with `createAlwaysRecordSampler` when keep-errors is on) are exported only when the
 * invocation of their trace failed, and dropped otherwise.
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
    const spans = this.sampled;
    if (request.failedTraceIds.size > 0) {
      for (const span of this.unsampled) {
        if (request.failedTraceIds.has(span.spanContext().traceId)) spans.push(span);
      }
    }
    this.sampled = [];
    this.unsampled = [];
    if (spans.length === 0 || request.deadlineMs <= 0) return;
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
