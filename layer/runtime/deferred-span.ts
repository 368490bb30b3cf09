import type {
  Attributes,
  AttributeValue,
  Exception,
  HrTime,
  Link,
  Span,
  SpanContext,
  SpanStatus,
  TimeInput,
} from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import { warnOnce } from './diagnostics';

/** The most events and links a deferred span keeps (the SDK's default limits are 128 each). */
export const MAX_DEFERRED_EVENTS = 128;

type DeferredEvent =
  | {
      readonly kind: 'event';
      readonly name: string;
      readonly attributes?: Attributes;
      readonly time: TimeInput;
    }
  | { readonly kind: 'exception'; readonly exception: Exception; readonly time: TimeInput };

/**
 * A span whose trace was not sampled, held back until the invocation ends: with keep-errors on,
 * such a span is exported only if its trace fails, so it is not recorded by the SDK up front (no
 * SDK span, no attribute checks, no processor work). It has its real span context from the start,
 * so its children and the messages sent under it carry its id; what is done to it (attributes,
 * events, an exception, a status, a new name) is kept here, and `replayOnto` gives it to the SDK
 * span made after the fact, with the same ids and start time, when the trace is kept.
 *
 * It is recording until it ends, as the SDK's recorded unsampled span was, so code that checks
 * `isRecording()` before adding attributes still adds them.
 */
export class DeferredSpan implements Span {
  // Made on first use: most held-back spans never get an attribute, an event or a link.
  private attributes?: Attributes;
  private events?: DeferredEvent[];
  private links?: Link[];
  private status: SpanStatus | undefined;
  private name: string | undefined;
  /** When it ended: the time given to `end`, else this span's clock (milliseconds since the epoch). */
  private endTime: TimeInput | undefined;
  private endedAt: number | undefined;

  /**
   * When it started, as the SDK stamps a span: `Date.now()`, with times after it measured on the
   * performance clock from there (the SDK's `Span`), so it orders with the SDK spans around it.
   */
  private readonly startMs = Date.now();
  private readonly startPerf = performance.now();

  constructor(private readonly context: SpanContext) {}

  spanContext(): SpanContext {
    return this.context;
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (!this.ended) (this.attributes ??= {})[key] = value;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    if (!this.ended) Object.assign((this.attributes ??= {}), attributes);
    return this;
  }

  addEvent(name: string, attributesOrStartTime?: Attributes | TimeInput, startTime?: TimeInput): this {
    if (isTime(attributesOrStartTime)) {
      this.pushEvent({ kind: 'event', name, time: attributesOrStartTime });
    } else {
      this.pushEvent({
        kind: 'event',
        name,
        attributes: attributesOrStartTime,
        time: startTime ?? this.now(),
      });
    }
    return this;
  }

  addLink(link: Link): this {
    if (this.ended) return this;
    const links = (this.links ??= []);
    if (links.length < MAX_DEFERRED_EVENTS) links.push(link);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (!this.ended) this.status = status;
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }

  /** When it started: the SDK span made for it starts then. */
  get startTime(): HrTime {
    return millisToHrTime(this.startMs);
  }

  end(endTime?: TimeInput): void {
    if (this.ended) return;
    if (endTime === undefined) this.endedAt = this.nowMs();
    else this.endTime = endTime;
  }

  isRecording(): boolean {
    return !this.ended;
  }

  private get ended(): boolean {
    return this.endTime !== undefined || this.endedAt !== undefined;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    this.pushEvent({ kind: 'exception', exception, time: time ?? this.now() });
  }

  /**
   * Gives the SDK span made for this one everything done to it, in the order the SDK would have
   * seen it (attributes, links, events, then the status and the name), and ends it when this one
   * ended (now, if it has not).
   */
  replayOnto(span: Span): void {
    if (this.attributes) span.setAttributes(this.attributes);
    if (this.links) span.addLinks(this.links);
    for (const event of this.events ?? []) {
      if (event.kind === 'exception') span.recordException(event.exception, event.time);
      else span.addEvent(event.name, event.attributes, event.time);
    }
    if (this.status) span.setStatus(this.status);
    if (this.name !== undefined) span.updateName(this.name);
    span.end(this.endTime ?? (this.endedAt !== undefined ? millisToHrTime(this.endedAt) : undefined));
  }

  /** Now, on this span's clock, as an HrTime. */
  private now(): HrTime {
    return millisToHrTime(this.nowMs());
  }

  private nowMs(): number {
    return this.startMs + (performance.now() - this.startPerf);
  }

  private pushEvent(event: DeferredEvent): void {
    if (this.ended) return;
    const events = (this.events ??= []);
    if (events.length >= MAX_DEFERRED_EVENTS) {
      warnOnce(
        'deferred-events',
        `more than ${MAX_DEFERRED_EVENTS} events on one span; the rest are dropped`,
      );
      return;
    }
    events.push(event);
  }
}

function isTime(value: unknown): value is TimeInput {
  return (
    typeof value === 'number' ||
    value instanceof Date ||
    (Array.isArray(value) && value.length === 2 && typeof value[0] === 'number')
  );
}
